// A server's authentication is fixed when it is built: there is no way to add it to a
// server (or a clone of one) afterwards, so no clone can run without it.
use signalr_server::{AuthRequest, Hub, HubServer, Identity, Refusal};

fn main() {
    let server = HubServer::new(Hub::new("Chat"));
    let clone = server.clone();
    let _configured = server.authenticate(|_: &AuthRequest<'_>| async {
        Ok::<_, Refusal>(Some(Identity::new("alice")))
    });
    drop(clone);
}
