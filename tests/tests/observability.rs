//! What operators see: a tracing span per connection (connection id, transport, protocol,
//! user) with a span per invocation inside it (method, invocation id), and metrics under
//! ASP.NET Core's names.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use signalr_server::{Hub, HubServer, MethodKind, RouterExt};
use tokio_tungstenite::tungstenite::Message;
use tracing::span;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span's name, fields and parent's index.
#[derive(Debug, Clone)]
struct Seen {
    name: String,
    fields: HashMap<String, String>,
    parent: Option<span::Id>,
    id: span::Id,
}

#[derive(Default, Clone)]
struct Spans(Arc<Mutex<Vec<Seen>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx.span(id).and_then(|s| s.parent()).map(|p| p.id());
        self.0.lock().unwrap().push(Seen {
            name: attrs.metadata().name().to_owned(),
            fields,
            parent,
            id: id.clone(),
        });
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, _ctx: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some(s) = spans.iter_mut().find(|s| s.id == *id) {
            values.record(&mut Fields(&mut s.fields));
        }
    }
}

fn hub() -> Hub {
    Hub::new("Observed").method("WhoAmI", MethodKind::Unary, 0, |call| async move {
        call.bind(0)?;
        call.reply(call.caller.connection_id.as_ref())
    })
}

#[tokio::test]
async fn spans_and_metrics_name_the_connection_and_the_invocation() {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::set_global_recorder(recorder).unwrap();

    let server = HubServer::new(hub());
    let app = axum::Router::new().hub("/hub", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(signalr_server::serve(listener, app).into_future());
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/hub"))
        .await
        .unwrap();
    ws.send(Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"))
        .await
        .unwrap();
    ws.next().await.unwrap().unwrap();
    ws.send(Message::text(
        "{\"type\":1,\"invocationId\":\"42\",\"target\":\"WhoAmI\",\"arguments\":[]}\u{1e}",
    ))
    .await
    .unwrap();
    let reply = loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) if t.as_str().contains("\"type\":3") => break t.to_string(),
            _ => continue,
        }
    };
    let v: serde_json::Value = serde_json::from_str(reply.trim_end_matches('\u{1e}')).unwrap();
    let connection_id = v["result"].as_str().unwrap().to_owned();

    let seen = spans.0.lock().unwrap().clone();
    let invocation = seen
        .iter()
        .find(|s| {
            s.name == "signalr.invocation"
                && s.fields.get("invocation_id").map(String::as_str) == Some("42")
        })
        .unwrap_or_else(|| panic!("no invocation span: {seen:?}"));
    assert_eq!(invocation.fields["method"], "WhoAmI");
    let connection = seen
        .iter()
        .find(|s| Some(&s.id) == invocation.parent.as_ref())
        .expect("the invocation span's parent");
    assert_eq!(connection.name, "signalr.connection");
    assert_eq!(connection.fields["connection_id"], connection_id);
    assert_eq!(connection.fields["transport"], "WebSockets");
    assert_eq!(connection.fields["protocol"], "Json");

    // One WebSocket connection open, then its duration once it closes.
    let gauge = |snapshot: &[(metrics_util::CompositeKey, _, _, DebugValue)]| {
        snapshot
            .iter()
            .find(|(k, _, _, _)| k.key().name() == "signalr.server.active_connections")
            .map(|(k, _, _, v)| {
                let labels: Vec<(String, String)> = k
                    .key()
                    .labels()
                    .map(|l| (l.key().to_owned(), l.value().to_owned()))
                    .collect();
                let value = match v {
                    DebugValue::Gauge(g) => g.into_inner(),
                    other => panic!("not a gauge: {other:?}"),
                };
                (labels, value)
            })
    };
    let open = snapshotter.snapshot().into_vec();
    let (labels, value) = gauge(&open).expect("the active connections gauge");
    assert_eq!(
        labels,
        [("signalr.transport".to_owned(), "web_sockets".to_owned())]
    );
    assert_eq!(value, 1.0);
    ws.close(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let closed = snapshotter.snapshot().into_vec();
    let (_, value) = gauge(&closed).expect("the active connections gauge");
    // The debugging recorder zeroes a gauge when it reads it: this is the change since the
    // first reading, one connection fewer.
    assert_eq!(value, -1.0);
    let duration = closed
        .iter()
        .find(|(k, _, _, _)| k.key().name() == "signalr.server.connection.duration")
        .expect("the connection duration histogram");
    let labels: Vec<_> = duration
        .0
        .key()
        .labels()
        .map(|l| (l.key().to_owned(), l.value().to_owned()))
        .collect();
    assert!(labels.contains(&(
        "signalr.connection.status".to_owned(),
        "normal_closure".to_owned()
    )));
    match &duration.3 {
        DebugValue::Histogram(values) => assert_eq!(values.len(), 1),
        other => panic!("{other:?}"),
    }
}
