//! Binary values out of band, over HTTP (SignalARRR's stream references): upload slots a
//! connection requests (`RequestUploadSlot`) and fills with `POST {path}/upload/{id}`,
//! and downloads the server offers at `GET {path}/download/{id}`, each taken once.
//! Unused slots and downloads expire; a connection's slots go with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::auth::AuthRequest;
use crate::error::HubError;

use super::Shared;
use super::failure::{Failure, codes, types};

/// One upload slot.
struct Slot {
    owner: Arc<str>,
    created: Instant,
    body: Option<Bytes>,
    /// Woken when the body arrives or the slot goes away.
    arrived: Arc<Notify>,
}

/// One offered download.
struct Download {
    created: Instant,
    body: Bytes,
    content_type: String,
}

/// Every slot and download of an endpoint, by id.
#[derive(Default)]
pub(crate) struct Transfers {
    slots: Mutex<HashMap<String, Slot>>,
    downloads: Mutex<HashMap<String, Download>>,
}

impl std::fmt::Debug for Transfers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfers").finish_non_exhaustive()
    }
}

/// The id at the end of an upload or download URL (lower-cased, as keys are).
fn id_of(url: &str) -> String {
    url.rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

impl Transfers {
    /// Drops slots and downloads older than `expiry`.
    fn sweep(&self, expiry: Duration) {
        let now = Instant::now();
        if let Ok(mut s) = self.slots.lock() {
            s.retain(|_, slot| {
                let keep = now.duration_since(slot.created) < expiry;
                if !keep {
                    slot.arrived.notify_waiters();
                }
                keep
            });
        }
        if let Ok(mut d) = self.downloads.lock() {
            d.retain(|_, dl| now.duration_since(dl.created) < expiry);
        }
    }

    /// A new slot for `owner`, unless it holds `max` unused ones already (`0`: no cap).
    pub(crate) fn new_slot(
        &self,
        owner: &Arc<str>,
        base: &str,
        max: usize,
        expiry: Duration,
    ) -> Result<String, Failure> {
        self.sweep(expiry);
        let mut slots = self
            .slots
            .lock()
            .map_err(|_| Failure::withheld("RequestUploadSlot", "slots poisoned"))?;
        let unused = slots
            .values()
            .filter(|s| s.owner == *owner && s.body.is_none())
            .count();
        if max > 0 && unused >= max {
            return Err(Failure::new(
                codes::UPLOAD_SLOT_LIMIT_REACHED,
                types::HARRR_EXCEPTION,
                format!(
                    "This connection already holds {max} upload slots that have not been used. Complete or abandon an upload before requesting another."
                ),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        slots.insert(
            id.clone(),
            Slot {
                owner: owner.clone(),
                created: Instant::now(),
                body: None,
                arrived: Arc::new(Notify::new()),
            },
        );
        Ok(format!("{base}/upload/{id}"))
    }

    /// Whether an unfilled slot `id` exists.
    fn slot_open(&self, id: &str) -> bool {
        self.slots
            .lock()
            .is_ok_and(|s| s.get(id).is_some_and(|slot| slot.body.is_none()))
    }

    /// Fills slot `id`; `false` if it is gone or filled already.
    fn fill(&self, id: &str, body: Bytes) -> bool {
        let Ok(mut slots) = self.slots.lock() else {
            return false;
        };
        match slots.get_mut(id) {
            Some(slot) if slot.body.is_none() => {
                slot.body = Some(body);
                slot.arrived.notify_waiters();
                true
            }
            _ => false,
        }
    }

    /// The bytes uploaded to `url`, a slot of `owner`, waiting up to `timeout` for them.
    pub(crate) async fn wait_for_upload(
        &self,
        owner: &str,
        url: &str,
        timeout: Duration,
    ) -> Result<Bytes, HubError> {
        let id = id_of(url);
        let not_found = || HubError::new(format!("Upload slot not found: {url}"));
        let deadline = Instant::now() + timeout;
        loop {
            let arrived = {
                let mut slots = self.slots.lock().map_err(|_| not_found())?;
                match slots.get(&id) {
                    Some(slot) if *slot.owner != *owner => return Err(not_found()),
                    Some(slot) if slot.body.is_some() => {
                        return slots.remove(&id).and_then(|s| s.body).ok_or_else(not_found);
                    }
                    Some(slot) => slot.arrived.clone(),
                    None => return Err(not_found()),
                }
            };
            let notified = arrived.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // The body may have arrived between the check and the registration.
            if self
                .slots
                .lock()
                .is_ok_and(|s| s.get(&id).is_none_or(|slot| slot.body.is_some()))
            {
                continue;
            }
            tokio::select! {
                () = notified => {}
                () = tokio::time::sleep_until(deadline) => {
                    return Err(HubError::new(format!("The upload to {url} did not arrive in time.")));
                }
            }
        }
    }

    /// Forgets the slots of a connection that ended (whoever waits for them is told).
    pub(crate) fn drop_owner(&self, owner: &str) {
        if let Ok(mut s) = self.slots.lock() {
            s.retain(|_, slot| {
                let keep = *slot.owner != *owner;
                if !keep {
                    slot.arrived.notify_waiters();
                }
                keep
            });
        }
    }

    /// Offers `body` for one download; its URL.
    pub(crate) fn offer(
        &self,
        base: &str,
        body: Bytes,
        content_type: Option<&str>,
        expiry: Duration,
    ) -> String {
        self.sweep(expiry);
        let id = uuid::Uuid::new_v4().to_string();
        if let Ok(mut d) = self.downloads.lock() {
            d.insert(
                id.clone(),
                Download {
                    created: Instant::now(),
                    body,
                    content_type: content_type
                        .unwrap_or("application/octet-stream")
                        .to_owned(),
                },
            );
        }
        format!("{base}/download/{id}")
    }

    fn take_download(&self, id: &str) -> Option<Download> {
        self.downloads.lock().ok()?.remove(id)
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

/// The request's user may reach the hub: authenticated like every request of a
/// connection, and satisfying the hub's requirements.
async fn admitted(shared: &Shared, parts: &Parts) -> Result<(), Response> {
    let query = axum::extract::Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let remote = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let auth = &shared.ctx.auth;
    let identity = auth
        .authenticate(&AuthRequest {
            parts,
            query: &query,
            remote,
        })
        .await
        .map_err(IntoResponse::into_response)?;
    auth.authorize(&shared.ctx.hub.requirements, identity.as_ref(), None)
        .await
        .map_err(|d| d.into_refusal().into_response())
}

/// `POST {path}/upload/{id}`.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    if let Err(refused) = admitted(&shared, &parts).await {
        return refused;
    }
    let id = id.to_ascii_lowercase();
    if !shared.transfers.slot_open(&id) {
        return text(
            StatusCode::NOT_FOUND,
            "Upload slot not found or already used".into(),
        );
    }
    let limit = shared.options.max_upload_size;
    let too_large = |n: u64| {
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Upload exceeds the configured limit of {n} bytes."),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let (Some(max), Some(n)) = (limit, declared)
        && n > max
    {
        return too_large(max);
    }
    let mut received = BytesMut::new();
    let mut data = body.into_data_stream();
    while let Some(chunk) = data.next().await {
        let Ok(chunk) = chunk else {
            return text(StatusCode::BAD_REQUEST, "The upload was cut off.".into());
        };
        if let Some(max) = limit
            && (received.len() + chunk.len()) as u64 > max
        {
            return too_large(max);
        }
        received.extend_from_slice(&chunk);
    }
    if shared.transfers.fill(&id, received.freeze()) {
        text(StatusCode::OK, "OK".into())
    } else {
        text(
            StatusCode::NOT_FOUND,
            "Upload slot not found or already used".into(),
        )
    }
}

/// `GET {path}/download/{id}`.
pub(crate) async fn download(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    if let Err(refused) = admitted(&shared, &parts).await {
        return refused;
    }
    match shared.transfers.take_download(&id.to_ascii_lowercase()) {
        Some(d) => ([(header::CONTENT_TYPE, d.content_type)], Body::from(d.body)).into_response(),
        None => text(
            StatusCode::NOT_FOUND,
            "Stream not found or already downloaded".into(),
        ),
    }
}
