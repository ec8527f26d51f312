//! Location services by name and the privileges that unlock them, for the verify endpoint
//! (`/verify?service=geocode`). Any one of a service's privileges is enough.

/// `(service name, privileges any of which allows it)`.
pub const LOCATION_SERVICES: &[(&str, &[&str])] = &[
    (
        "basemaps",
        &["premium:user:basemaps", "portal:apikey:basemaps"],
    ),
    ("staticbasemaptiles", &["premium:user:staticbasemaptiles"]),
    ("staticmaps", &["premium:user:staticMaps"]),
    ("places", &["premium:user:places"]),
    (
        "geocode",
        &[
            "premium:user:geocode:temporary",
            "premium:user:geocode:stored",
            "premium:user:geocode",
        ],
    ),
    (
        "geocode-stored",
        &["premium:user:geocode:stored", "premium:user:geocode"],
    ),
    ("elevation", &["premium:user:elevation"]),
    ("geoenrichment", &["premium:user:geoenrichment"]),
    ("demographics", &["premium:user:demographics"]),
    (
        "routing",
        &[
            "premium:user:networkanalysis:routing",
            "premium:user:networkanalysis",
        ],
    ),
    (
        "optimizedrouting",
        &[
            "premium:user:networkanalysis:optimizedrouting",
            "premium:user:networkanalysis",
        ],
    ),
    (
        "closestfacility",
        &[
            "premium:user:networkanalysis:closestfacility",
            "premium:user:networkanalysis",
        ],
    ),
    (
        "servicearea",
        &[
            "premium:user:networkanalysis:servicearea",
            "premium:user:networkanalysis",
        ],
    ),
    (
        "odcostmatrix",
        &[
            "premium:user:networkanalysis:origindestinationcostmatrix",
            "premium:user:networkanalysis",
        ],
    ),
    (
        "vehiclerouting",
        &[
            "premium:user:networkanalysis:vehiclerouting",
            "premium:user:networkanalysis",
        ],
    ),
    (
        "locationallocation",
        &[
            "premium:user:networkanalysis:locationallocation",
            "premium:user:networkanalysis",
        ],
    ),
    (
        "lastmiledelivery",
        &[
            "premium:user:networkanalysis:lastmiledelivery",
            "premium:user:networkanalysis",
        ],
    ),
    (
        "snaptoroads",
        &[
            "premium:user:networkanalysis:snaptoroads",
            "premium:user:networkanalysis",
        ],
    ),
    ("spatialanalysis", &["premium:user:spatialanalysis"]),
];

/// The privileges that allow a named location service, if keyportal knows the service.
pub fn privileges_for(service: &str) -> Option<&'static [&'static str]> {
    catalog_service(service).map(|(_, privileges)| privileges)
}

/// A catalog service by name (any case): its catalog name and the privileges that allow it.
pub fn catalog_service(service: &str) -> Option<(&'static str, &'static [&'static str])> {
    LOCATION_SERVICES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(service))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privilege::lookup;

    #[test]
    fn every_service_privilege_is_in_the_catalog() {
        for (service, privileges) in LOCATION_SERVICES {
            assert!(!privileges.is_empty(), "{service}");
            for p in *privileges {
                assert!(lookup(p).is_some(), "{service}: {p}");
            }
        }
        assert_eq!(
            privileges_for("GEOCODE").map(|p| p[0]),
            Some("premium:user:geocode:temporary")
        );
        assert!(privileges_for("teleport").is_none());
        assert_eq!(
            catalog_service("GeoCode-Stored").map(|(name, _)| name),
            Some("geocode-stored")
        );
    }
}
