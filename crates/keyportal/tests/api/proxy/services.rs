//! Location services and their privileges.

use serde_json::json;

use super::upstream::Upstream;
use super::{allow_upstreams, code_of, get_with, usage_totals};
use crate::harness::{error_code, key_with, TestServer};
use crate::on_both_backends;

on_both_backends!(
    location_services_require_their_privilege,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        // The upstreams run on loopback, which the allow-list must name explicitly.
        allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
        let path = "portals/self/locationServices/GeoCode";
        let created = s
            .post(
                path,
                Some(&admin),
                &[
                    ("url", &format!("{}/geocode", up.url)),
                    ("upstreamQuery", r#"{"apiKey":"geo-s3cret"}"#),
                ],
            )
            .await;
        assert_eq!(created["success"], true, "{created}");
        assert_eq!(created["name"], "geocode");
        assert_eq!(created["enabled"], true);
        assert_eq!(
            created["privileges"][0], "premium:user:geocode:temporary",
            "{created}"
        );
        let listed = s
            .get("portals/self/locationServices", Some(&admin), &[])
            .await;
        assert_eq!(listed["services"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed["services"][0]["upstreamQuery"], json!(["apiKey"]));
        assert!(!listed.to_string().contains("s3cret"));

        let (credential, _, geokey) = key_with(
            &s,
            &admin,
            &["premium:user:geocode:temporary".to_string()],
            &[],
        )
        .await;
        let (_, _, basemapkey) =
            key_with(&s, &admin, &["premium:user:basemaps".to_string()], &[]).await;
        let url = format!(
            "{}/services/geocode/findAddressCandidates?SingleLine=Main%20St&f=json",
            s.url
        );

        let (status, body) = get_with(&s, &url, Some(&geokey)).await;
        assert_eq!(status, 200, "{body}");
        let seen = up.last();
        assert_eq!(seen.path, "/geocode/findAddressCandidates");
        assert!(
            seen.query.contains("SingleLine=Main%20St") && seen.query.contains("apiKey=geo-s3cret")
        );
        let (status, body) = get_with(&s, &url, Some(&basemapkey)).await;
        assert_eq!((status, code_of(&body)), (403, 403));
        assert!(body.contains("premium:user:geocode:temporary"), "{body}");
        let (status, _) = get_with(&s, &url, None).await;
        assert_eq!(status, 401);

        // Members by their own privileges.
        let (status, _) = get_with(&s, &url, Some(&admin)).await;
        assert_eq!(status, 200);
        let viewer = s.member(&admin, "vera", "viewer", "viewerUT").await;
        let (status, _) = get_with(&s, &url, Some(&viewer)).await;
        assert_eq!(status, 403);

        // Unknown services, custom ones, and who may configure them.
        let (status, body) = get_with(
            &s,
            &format!("{}/services/routing/solve", s.url),
            Some(&geokey),
        )
        .await;
        assert_eq!((status, code_of(&body)), (404, 404));
        let custom = s
            .post(
                "portals/self/locationServices/weather",
                Some(&admin),
                &[("url", &format!("{}/weather", up.url))],
            )
            .await;
        assert_eq!(error_code(&custom), 400, "{custom}");
        let custom = s
            .post(
                "portals/self/locationServices/weather",
                Some(&admin),
                &[
                    ("url", &format!("{}/weather", up.url)),
                    ("privilege", "premium:user:elevation"),
                ],
            )
            .await;
        assert_eq!(custom["privileges"], json!(["premium:user:elevation"]));
        let (status, _) = get_with(
            &s,
            &format!("{}/services/weather/forecast", s.url),
            Some(&geokey),
        )
        .await;
        assert_eq!(status, 403);
        let ursula = s.member(&admin, "ursula", "org_user", "creatorUT").await;
        let theirs = s
            .post(
                "portals/self/locationServices/places",
                Some(&ursula),
                &[("url", &format!("{}/places", up.url))],
            )
            .await;
        assert_eq!(error_code(&theirs), 403, "{theirs}");
        let theirs = s
            .get("portals/self/locationServices", Some(&ursula), &[])
            .await;
        assert_eq!(error_code(&theirs), 403);

        // Counted under the service name.
        assert_eq!(
            usage_totals(&s, &admin, &credential).await,
            json!({ "geocode": 1 })
        );

        let deleted = s
            .post(
                "portals/self/locationServices/geocode/delete",
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(deleted["success"], true, "{deleted}");
        let (status, _) = get_with(&s, &url, Some(&geokey)).await;
        assert_eq!(status, 404);
        let gone = s
            .get("portals/self/locationServices/geocode", Some(&admin), &[])
            .await;
        assert_eq!(error_code(&gone), 400, "{gone}");
    }
);
