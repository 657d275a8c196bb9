//! The client over TLS (`https` negotiate, `wss` WebSocket) against the hub served behind
//! rustls with a self-signed certificate: trusted through `add_root_certificate_pem`, and
//! refused without it.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use signalr_hub_client::{HubConnectionBuilder, Protocol, Transports};
use signalr_server::{HubServer, RouterExt};
use tokio::net::TcpListener;

/// Serves the conformance hub over TLS on a free port; returns its https URL and the
/// certificate (PEM) to trust.
async fn serve_tls() -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = certified.cert.pem();
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HubServer::new(signalr_examples::conformance::hub());
    let app = axum::Router::new().hub("/hubs/conformance", &server);
    tokio::spawn(async move {
        let _server = server;
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends its handshake here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(
                        TokioIo::new(tls),
                        TowerToHyperService::new(app),
                    )
                    .await;
            });
        }
    });
    (format!("https://localhost:{port}/hubs/conformance"), pem)
}

#[tokio::test]
async fn https_and_wss_work_with_a_trusted_certificate() {
    let (url, pem) = serve_tls().await;
    for protocol in [Protocol::Json, Protocol::MessagePack] {
        let connection = HubConnectionBuilder::new(url.clone())
            .protocol(protocol)
            .add_root_certificate_pem(pem.as_bytes())
            .unwrap()
            .build();
        connection.start().await.unwrap();
        let echoed: String = connection.invoke("Echo", ("over tls",)).await.unwrap();
        assert_eq!(echoed, "over tls");
        // Without negotiation the WebSocket is opened on wss:// directly.
        connection.stop().await;
    }
    let direct = HubConnectionBuilder::new(url.replace("https://", "wss://"))
        .skip_negotiation(true)
        .transports(Transports::WEB_SOCKETS)
        .add_root_certificate_pem(pem.as_bytes())
        .unwrap()
        .build();
    direct.start().await.unwrap();
    let sum: i32 = direct.invoke("Add", (2, 3)).await.unwrap();
    assert_eq!(sum, 5);
    direct.stop().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_with_a_clear_error() {
    let (url, _) = serve_tls().await;
    let connection = HubConnectionBuilder::new(url.clone()).build();
    let error = connection.start().await.unwrap_err().report();
    assert!(
        error.to_lowercase().contains("certificate"),
        "negotiate over https: {error}"
    );
    let direct = HubConnectionBuilder::new(url.replace("https://", "wss://"))
        .skip_negotiation(true)
        .transports(Transports::WEB_SOCKETS)
        .build();
    let error = direct.start().await.unwrap_err().report();
    assert!(
        error.to_lowercase().contains("certificate"),
        "wss without negotiation: {error}"
    );
}

#[test]
fn a_pem_without_a_certificate_is_an_error() {
    let error = HubConnectionBuilder::new("https://localhost/hub")
        .add_root_certificate_pem(b"not a certificate")
        .unwrap_err();
    assert!(error.report().contains("no certificate"), "{error}");
}
