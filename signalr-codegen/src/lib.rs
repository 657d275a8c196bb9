//! Generates clients and schemas from a hub contract file: TypeScript on
//! `@microsoft/signalr`, C# on `Microsoft.AspNetCore.SignalR.Client`, and JSON Schema,
//! all from the contract model in `signalr-contract`.
