//! The farm methods `conformance-server --redis` adds to the conformance hub: one per kind of
//! target the contract's own methods do not reach (users, other connections, several groups,
//! others), group changes for any connection, and a client result asked of any connection.
//! They exist to test a farm; the conformance contract itself is unchanged.
//!
//! | method | arguments | calls on clients |
//! |---|---|---|
//! | `SendToUser` | `user, text` | `UserMessage(text)` on the user's connections |
//! | `SendToUsers` | `users[], text` | `UserMessage(text)` |
//! | `SendToConnection` | `connectionId, text` | `DirectMessage(text)` |
//! | `SendToConnections` | `connectionIds[], text` | `DirectMessage(text)` |
//! | `SendToOthers` | `text` | `Broadcasted(text)` on everyone but the caller |
//! | `SendToAllExcept` | `connectionIds[], text` | `Broadcasted(text)` |
//! | `SendToGroups` | `groups[], text` | `GroupMessage(groups joined by ",", text)` |
//! | `SendToOthersInGroup` | `group, text` | `GroupMessage(group, text)` but on the caller |
//! | `AddToGroup` / `RemoveFromGroup` | `connectionId, group` | (waits for the change across the farm) |
//! | `AskConnection` | `connectionId, question` | `Answer(question)`, a client result, returned |
//! | `WhoAmI` | | returns the caller's user, or null |

use signalr_server::{Call, Hub, HubError, MethodKind, Reply};

/// Binds the first two arguments.
fn two<A, B>(call: &Call) -> Result<(A, B), HubError>
where
    A: serde::de::DeserializeOwned,
    B: serde::de::DeserializeOwned,
{
    let mut args = call.bind(2)?;
    Ok((args.next_arg()?, args.next_arg()?))
}

/// `hub` with the farm methods.
pub(crate) fn with_farm_methods(hub: Hub) -> Hub {
    hub.method("SendToUser", MethodKind::Unary, 0, |call| async move {
        let (user, text): (String, String) = two(&call)?;
        call.caller
            .clients
            .user(user)
            .send("UserMessage", &(text,))?;
        Ok(Reply::Void)
    })
    .method("SendToUsers", MethodKind::Unary, 0, |call| async move {
        let (users, text): (Vec<String>, String) = two(&call)?;
        call.caller
            .clients
            .users(users)
            .send("UserMessage", &(text,))?;
        Ok(Reply::Void)
    })
    .method(
        "SendToConnection",
        MethodKind::Unary,
        0,
        |call| async move {
            let (id, text): (String, String) = two(&call)?;
            call.caller
                .clients
                .client(id)
                .send("DirectMessage", &(text,))?;
            Ok(Reply::Void)
        },
    )
    .method(
        "SendToConnections",
        MethodKind::Unary,
        0,
        |call| async move {
            let (ids, text): (Vec<String>, String) = two(&call)?;
            call.caller
                .clients
                .clients(ids)
                .send("DirectMessage", &(text,))?;
            Ok(Reply::Void)
        },
    )
    .method("SendToOthers", MethodKind::Unary, 0, |call| async move {
        let text: String = call.bind(1)?.next_arg()?;
        call.caller.clients.others().send("Broadcasted", &(text,))?;
        Ok(Reply::Void)
    })
    .method("SendToAllExcept", MethodKind::Unary, 0, |call| async move {
        let (ids, text): (Vec<String>, String) = two(&call)?;
        call.caller
            .clients
            .all_except(ids)
            .send("Broadcasted", &(text,))?;
        Ok(Reply::Void)
    })
    .method("SendToGroups", MethodKind::Unary, 0, |call| async move {
        let (groups, text): (Vec<String>, String) = two(&call)?;
        let joined = groups.join(",");
        call.caller
            .clients
            .groups(groups)
            .send("GroupMessage", &(joined, text))?;
        Ok(Reply::Void)
    })
    .method(
        "SendToOthersInGroup",
        MethodKind::Unary,
        0,
        |call| async move {
            let (group, text): (String, String) = two(&call)?;
            call.caller
                .clients
                .others_in_group(group.clone())
                .send("GroupMessage", &(group, text))?;
            Ok(Reply::Void)
        },
    )
    .method("AddToGroup", MethodKind::Unary, 0, |call| async move {
        let (id, group): (String, String) = two(&call)?;
        call.caller.groups.add(&id, &group).await?;
        Ok(Reply::Void)
    })
    .method("RemoveFromGroup", MethodKind::Unary, 0, |call| async move {
        let (id, group): (String, String) = two(&call)?;
        call.caller.groups.remove(&id, &group).await?;
        Ok(Reply::Void)
    })
    .method("AskConnection", MethodKind::Unary, 0, |call| async move {
        let (id, question): (String, String) = two(&call)?;
        let answer: String = call
            .caller
            .clients
            .client(id)
            .invoke("Answer", &(question,), &call.cancellation)
            .await?;
        call.reply(&answer)
    })
    .method("WhoAmI", MethodKind::Unary, 0, |call| async move {
        call.bind(0)?;
        call.reply(&call.caller.user.as_deref())
    })
}
