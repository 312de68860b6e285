//! Postcodes to points with the data the project ships: postcode sector centroids, falling
//! back to outward code (district) centroids. Great Britain only.
//!
//! Contains OS data © Crown copyright and database right 2025.
//! Contains Royal Mail data © Royal Mail copyright and database right 2025.
//! Contains National Statistics data © Crown copyright and database right 2025.
//! (Derived from OS Code-Point Open, Open Government Licence v3.0; see data/geo/README.md.)

use std::collections::HashMap;

use socialrx_domain::directory::Point;
use socialrx_domain::postcode::is_outward;
use socialrx_domain::violations::Invalid;

const SECTORS: &str = include_str!("../../../data/geo/sectors.csv");
const OUTCODES: &str = include_str!("../../../data/geo/outcodes.csv");

/// Outward-code areas outside Code-Point Open's coverage (Northern Ireland, the Crown
/// dependencies): a clear "not in Great Britain" rather than "unknown".
const NOT_GB: &[&str] = &["BT", "IM", "JE", "GY"];

/// How a place was found, for the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Sector,
    Outcode,
}

pub struct Gazetteer {
    sectors: HashMap<String, Point>,
    outcodes: HashMap<String, Point>,
}

impl Gazetteer {
    /// The shipped sector and outcode centroids.
    pub fn embedded() -> Self {
        Self {
            sectors: parse(SECTORS),
            outcodes: parse(OUTCODES),
        }
    }

    /// A full postcode (`LS6 1AB`) or an outward code (`LS6`), any case and spacing.
    pub fn locate(&self, raw: &str) -> Result<(Point, Precision), Invalid> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let (outward, sector) = if is_outward(&compact) {
            (compact.clone(), None)
        } else {
            let postcode = socialrx_domain::Postcode::parse(&compact).map_err(|_| {
                Invalid::new(
                    "postcode_format",
                    "must be a UK postcode (LS6 1AB) or the first half of one (LS6)",
                )
            })?;
            let outward = postcode.outward().to_owned();
            let inward = &postcode.as_str()[outward.len() + 1..];
            let sector = format!("{outward} {}", &inward[..1]);
            (outward, Some(sector))
        };
        if NOT_GB.iter().any(|area| {
            outward.starts_with(area)
                && outward[area.len()..].starts_with(|c: char| c.is_ascii_digit())
        }) {
            return Err(Invalid::new(
                "postcode_not_gb",
                "is outside Great Britain: places can only be found in England, Scotland and Wales",
            ));
        }
        if let Some(p) = sector.and_then(|s| self.sectors.get(&s)) {
            return Ok((*p, Precision::Sector));
        }
        self.outcodes
            .get(&outward)
            .map(|p| (*p, Precision::Outcode))
            .ok_or_else(|| {
                Invalid::new(
                    "postcode_unknown",
                    "is not a postcode district we know in Great Britain",
                )
            })
    }

    /// The point of a full postcode, if the sector or district is known.
    pub fn place(&self, postcode: &socialrx_domain::Postcode) -> Option<Point> {
        self.locate(postcode.as_str()).ok().map(|(p, _)| p)
    }
}

fn parse(csv: &str) -> HashMap<String, Point> {
    csv.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split(',');
            let key = cols.next()?.to_owned();
            let lat = cols.next()?.parse().ok()?;
            let lon = cols.next()?.parse().ok()?;
            Some((key, Point { lat, lon }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_postcode_is_placed_by_its_sector() {
        let g = Gazetteer::embedded();
        let (p, precision) = g.locate("ls6 1ab").unwrap();
        assert_eq!(precision, Precision::Sector);
        assert!(
            (p.lat - 53.8).abs() < 0.1 && (p.lon + 1.57).abs() < 0.1,
            "{p:?}"
        );
    }

    #[test]
    fn an_outward_code_is_placed_by_its_district() {
        let g = Gazetteer::embedded();
        let (p, precision) = g.locate("SW1A").unwrap();
        assert_eq!(precision, Precision::Outcode);
        assert!((p.lat - 51.50452).abs() < 0.001, "{p:?}");
    }

    #[test]
    fn northern_ireland_and_the_islands_are_refused_by_name() {
        let g = Gazetteer::embedded();
        for pc in ["BT1 1AA", "BT1", "JE2 3AB", "IM1", "GY1 1AA"] {
            assert_eq!(g.locate(pc).unwrap_err().code, "postcode_not_gb", "{pc}");
        }
        // B is Birmingham, not a Crown dependency.
        assert!(g.locate("B33 8TH").is_ok());
    }

    #[test]
    fn nonsense_and_unknown_districts_are_refused() {
        let g = Gazetteer::embedded();
        assert_eq!(g.locate("hello").unwrap_err().code, "postcode_format");
        assert_eq!(g.locate("ZZ99").unwrap_err().code, "postcode_unknown");
    }
}
