//! Points on the Earth, great-circle distance and the bounding box that narrows a
//! "near me" search before the exact distance is computed.

use crate::violations::Invalid;

/// Mean Earth radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A WGS84 latitude and longitude in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    /// Latitude -90..=90, longitude -180..=180, both finite.
    pub fn parse(lat: f64, lon: f64) -> Result<Self, Invalid> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(Invalid::new(
                "out_of_range",
                "latitude must be between -90 and 90",
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(Invalid::new(
                "out_of_range",
                "longitude must be between -180 and 180",
            ));
        }
        Ok(Self { lat, lon })
    }

    /// Great-circle (haversine) distance in kilometres.
    pub fn distance_km(self, other: Point) -> f64 {
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let dphi = (other.lat - self.lat).to_radians();
        let dlambda = (other.lon - self.lon).to_radians();
        let a =
            (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// A latitude/longitude rectangle that holds every point within a radius of a centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

impl BoundingBox {
    /// The box around `centre` that contains the circle of `radius_km`. Slightly larger
    /// than the circle (it is a filter, the exact distance decides).
    pub fn around(centre: Point, radius_km: f64) -> Self {
        let dlat = (radius_km / EARTH_RADIUS_KM).to_degrees();
        // Longitude degrees shrink with latitude; use the widest latitude in the box.
        let widest = (centre.lat.abs() + dlat).min(89.9).to_radians();
        let dlon = (radius_km / (EARTH_RADIUS_KM * widest.cos())).to_degrees();
        Self {
            min_lat: centre.lat - dlat,
            max_lat: centre.lat + dlat,
            min_lon: centre.lon - dlon,
            max_lon: centre.lon + dlon,
        }
    }

    pub fn contains(&self, p: Point) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat)
            && (self.min_lon..=self.max_lon).contains(&p.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEEDS: Point = Point {
        lat: 53.7997,
        lon: -1.5492,
    };
    const LONDON: Point = Point {
        lat: 51.5072,
        lon: -0.1276,
    };

    #[test]
    fn leeds_to_london_is_about_270_km() {
        let d = LEEDS.distance_km(LONDON);
        assert!((d - 272.0).abs() < 3.0, "{d}");
        assert_eq!(LEEDS.distance_km(LEEDS), 0.0);
        assert!((LEEDS.distance_km(LONDON) - LONDON.distance_km(LEEDS)).abs() < 1e-9);
    }

    #[test]
    fn the_box_holds_every_point_of_the_circle() {
        let bbox = BoundingBox::around(LEEDS, 10.0);
        for bearing in 0..360 {
            let b = f64::from(bearing).to_radians();
            // A point 9.99 km away along `bearing` (small-distance approximation).
            let dlat = (9.99 / EARTH_RADIUS_KM).to_degrees() * b.cos();
            let dlon =
                (9.99 / (EARTH_RADIUS_KM * LEEDS.lat.to_radians().cos())).to_degrees() * b.sin();
            let p = Point {
                lat: LEEDS.lat + dlat,
                lon: LEEDS.lon + dlon,
            };
            assert!(bbox.contains(p), "bearing {bearing}");
        }
        assert!(!bbox.contains(LONDON));
    }

    #[test]
    fn coordinates_out_of_range_are_refused() {
        assert!(Point::parse(91.0, 0.0).is_err());
        assert!(Point::parse(0.0, -181.0).is_err());
        assert!(Point::parse(f64::NAN, 0.0).is_err());
        assert!(Point::parse(53.8, -1.55).is_ok());
    }
}
