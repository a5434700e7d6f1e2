//! Console pages arrive whole or not at all: a server render is collected within a deadline,
//! and a render that stalls is started once more before the operator gets a 503.
//!
//! Leptos streams a page while its `<Suspense>` boundaries resolve. Its SSR has had races in
//! which a boundary is never told that its last resource finished (leptos-rs/leptos #4851,
//! #4673, #4578), and the response then stops mid-body for good: the browser spins and never
//! hydrates. One of this project's CI runs hung that way in a page test. A page render only
//! reads, so rendering it again is safe; the pages are small, so collecting them first costs
//! nothing the operator can see.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How long one render of a page may take before it is abandoned. Pages render in
/// milliseconds (BENCHMARKS.md); a render this slow is stuck, not slow.
pub const RENDER_DEADLINE: Duration = Duration::from_secs(10);

/// The largest page collected (the client list's largest page is about 60 KB).
const PAGE_LIMIT: usize = 16 * 1024 * 1024;

/// Middleware for GET and HEAD page requests (see [`crate::guard::is_page`]): answers with the
/// whole page, rendered within `deadline`, trying twice. A HEAD renders the page as a GET and
/// answers with its header fields, Content-Length included, and no body. Other requests pass
/// through.
pub async fn whole_pages(State(deadline): State<Duration>, req: Request, next: Next) -> Response {
    let head_only = req.method() == Method::HEAD;
    if !(head_only || req.method() == Method::GET) || !crate::guard::is_page(req.uri().path()) {
        return next.run(req).await;
    }
    let (mut parts, _) = req.into_parts();
    parts.method = Method::GET;
    let path = parts.uri.path().to_owned();
    for attempt in 1..=2 {
        let req = Request::from_parts(parts.clone(), Body::empty());
        // The deadline covers the whole render: Leptos may wait on resources before it even
        // returns the response head.
        let render = async {
            let (head, body) = next.clone().run(req).await.into_parts();
            axum::body::to_bytes(body, PAGE_LIMIT)
                .await
                .map(|bytes| (head, bytes))
        };
        match tokio::time::timeout(deadline, render).await {
            Ok(Ok((head, bytes))) => {
                let mut head = head;
                head.headers.remove(header::TRANSFER_ENCODING);
                head.headers
                    .insert(header::CONTENT_LENGTH, bytes.len().into());
                let body = if head_only {
                    Body::empty()
                } else {
                    Body::from(bytes)
                };
                return Response::from_parts(head, body);
            }
            Ok(Err(e)) => {
                tracing::error!(path = %path, error = %e, "a page render failed");
                return unavailable();
            }
            Err(_) => {
                tracing::warn!(path = %path, attempt, deadline_ms = deadline.as_millis() as u64,
                    "a page render stalled; abandoned");
            }
        }
    }
    tracing::error!(path = %path, "a page render stalled twice; answering 503");
    unavailable()
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "1")],
        "This page did not finish rendering. Reload it.",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use axum::routing::get;
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    /// A page whose first `stalls` renders send a first chunk and then never finish (or, for
    /// `/console/head`, never even answer).
    fn app(stalls: usize) -> (Router, Arc<AtomicUsize>) {
        let renders = Arc::new(AtomicUsize::new(0));
        let count = renders.clone();
        let router = Router::new()
            .route(
                "/console/page",
                get(move || {
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n < stalls {
                            let chunks = futures_util::stream::once(async {
                                Ok::<_, std::io::Error>(axum::body::Bytes::from("<html>start"))
                            })
                            .chain(futures_util::stream::pending());
                            Body::from_stream(chunks).into_response()
                        } else {
                            "<html>whole</html>".into_response()
                        }
                    }
                }),
            )
            .route(
                "/console/head",
                get(|| async { std::future::pending::<&'static str>().await }),
            )
            .route(
                "/health/live",
                get(|| async {
                    Body::from_stream(futures_util::stream::pending::<
                        Result<axum::body::Bytes, std::io::Error>,
                    >())
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(200),
                whole_pages,
            ));
        (router, renders)
    }

    async fn fetch(router: &Router, path: &str) -> (StatusCode, String) {
        let res = router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    use futures_util::StreamExt as _;

    #[tokio::test]
    async fn a_page_that_renders_is_answered_whole_at_once() {
        let (router, renders) = app(0);
        let res = router
            .clone()
            .oneshot(Request::get("/console/page").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.headers()[header::CONTENT_LENGTH], "18");
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_head_request_gets_the_page_length_and_no_body() {
        let (router, renders) = app(0);
        let res = router
            .clone()
            .oneshot(Request::head("/console/page").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_LENGTH], "18");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert!(body.is_empty(), "{body:?}");
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_stalled_render_is_abandoned_and_rendered_again() {
        let (router, renders) = app(1);
        assert_eq!(
            fetch(&router, "/console/page").await,
            (StatusCode::OK, "<html>whole</html>".to_string())
        );
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn two_stalled_renders_answer_503_without_the_partial_page() {
        let (router, renders) = app(2);
        let (status, body) = fetch(&router, "/console/page").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, "This page did not finish rendering. Reload it.");
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_render_that_never_answers_is_bounded_too() {
        let (router, _) = app(0);
        let (status, _) = fetch(&router, "/console/head").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn other_requests_pass_through_unbuffered() {
        let (router, _) = app(0);
        let res = router
            .clone()
            .oneshot(Request::get("/health/live").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get(header::CONTENT_LENGTH).is_none());
    }
}
