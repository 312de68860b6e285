//! The position in an order where a page ended.

use uuid::Uuid;

use crate::Sort;

/// Where the previous page ended. Opaque to clients (see [`Cursor::encode`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    Relevance { score: f32, id: Uuid },
    Distance { km: f64, id: Uuid },
    Name { key: String, id: Uuid },
}

impl Cursor {
    pub fn sort(&self) -> Sort {
        match self {
            Cursor::Relevance { .. } => Sort::Relevance,
            Cursor::Distance { .. } => Sort::Distance,
            Cursor::Name { .. } => Sort::Name,
        }
    }

    pub fn encode(&self) -> String {
        match self {
            Cursor::Relevance { score, id } => format!("r{:08x}{}", score.to_bits(), id.simple()),
            Cursor::Distance { km, id } => format!("d{:016x}{}", km.to_bits(), id.simple()),
            Cursor::Name { key, id } => {
                let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
                format!("n{}{hex}", id.simple())
            }
        }
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (kind, rest) = (raw.get(..1)?, raw.get(1..)?);
        match kind {
            "r" => Some(Cursor::Relevance {
                score: f32::from_bits(u32::from_str_radix(rest.get(..8)?, 16).ok()?),
                id: Uuid::try_parse(rest.get(8..)?).ok()?,
            }),
            "d" => Some(Cursor::Distance {
                km: f64::from_bits(u64::from_str_radix(rest.get(..16)?, 16).ok()?),
                id: Uuid::try_parse(rest.get(16..)?).ok()?,
            }),
            "n" => {
                let id = Uuid::try_parse(rest.get(..32)?).ok()?;
                let hex = rest.get(32..)?;
                if hex.len() % 2 != 0 || hex.len() > 1024 {
                    return None;
                }
                let bytes = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                    .collect::<Option<Vec<u8>>>()?;
                Some(Cursor::Name {
                    key: String::from_utf8(bytes).ok()?,
                    id,
                })
            }
            _ => None,
        }
    }
}
