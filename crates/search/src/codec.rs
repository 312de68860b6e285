//! A compact binary form of an [`Activity`], stored beside its text document in a saved
//! index so that the filter table can be rebuilt from the index alone, without reading
//! the store.
//!
//! Little-endian numbers; strings as a `u32` length and UTF-8 bytes; codes (categories,
//! statuses, days) as their stable text codes, so that reordering a code list cannot
//! silently change what a saved index means. Any change to this layout must bump
//! [`crate::snapshot::FORMAT`]: a saved index of another format is rebuilt, never read.

use socialrx_domain::Postcode;
use socialrx_domain::directory::{
    AccessibilityFeature, Activity, ActivityStatus, AgeRange, Category, Contact, Cost, CostUnit,
    JoinMethod, Location, NewActivity, Point, Session, TimeOfDay, Weekday,
};
use time::{Date, OffsetDateTime, UtcOffset};
use uuid::Uuid;

/// What is wrong with a stored activity: the saved index is damaged or of another layout.
#[derive(Debug, thiserror::Error)]
#[error("a saved activity does not decode: {0}")]
pub struct CodecError(&'static str);

pub(crate) fn encode(slot: u32, a: &Activity, out: &mut Vec<u8>) {
    // Destructured field by field: a field added to `Activity` fails to compile here
    // until it is written (and the format version bumped), rather than being dropped.
    let Activity {
        id,
        organisation,
        provider_name,
        version,
        created_at,
        updated_at,
        details,
    } = a;
    let mut w = Writer(out);
    w.u32(slot);
    w.uuid(*id);
    w.str(organisation);
    w.str(provider_name);
    w.bytes(&version.to_le_bytes());
    w.time(*created_at);
    w.time(*updated_at);
    w.details(details);
}

/// The slot and activity of one stored record.
pub(crate) fn decode(bytes: &[u8]) -> Result<(u32, Activity), CodecError> {
    let mut r = Reader(bytes);
    let slot = r.u32()?;
    let activity = Activity {
        id: r.uuid()?,
        organisation: r.string()?,
        provider_name: r.string()?,
        version: i64::from_le_bytes(r.array()?),
        created_at: r.time()?,
        updated_at: r.time()?,
        details: r.details()?,
    };
    if !r.0.is_empty() {
        return Err(CodecError("bytes are left over"));
    }
    Ok((slot, activity))
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    fn uuid(&mut self, v: Uuid) {
        self.bytes(v.as_bytes());
    }

    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.bytes(s.as_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        self.bool(s.is_some());
        if let Some(s) = s {
            self.str(s);
        }
    }

    fn opt_u8(&mut self, v: Option<u8>) {
        self.bool(v.is_some());
        if let Some(v) = v {
            self.u8(v);
        }
    }

    fn time(&mut self, t: OffsetDateTime) {
        self.bytes(&t.unix_timestamp_nanos().to_le_bytes());
        self.bytes(&t.offset().whole_seconds().to_le_bytes());
    }

    fn codes(&mut self, codes: impl ExactSizeIterator<Item = &'static str>) {
        self.u32(codes.len() as u32);
        for c in codes {
            self.str(c);
        }
    }

    fn details(&mut self, d: &NewActivity) {
        let NewActivity {
            provider_id,
            name,
            description,
            categories,
            status,
            join_method,
            cost,
            ages,
            accessibility,
            online,
            location,
            confidential_location,
            schedule,
            contact,
            capacity,
            taking_new_people,
            last_verified_on,
            external_id,
        } = d;
        self.uuid(*provider_id);
        self.str(name);
        self.opt_str(description.as_deref());
        self.codes(categories.iter().map(|c| c.as_str()));
        self.str(status.as_str());
        self.str(join_method.as_str());
        match cost {
            Cost::Free => self.u8(0),
            Cost::Paid { pence, unit } => {
                self.u8(1);
                self.u32(*pence);
                self.str(unit.as_str());
            }
            Cost::Unknown => self.u8(2),
        }
        self.opt_u8(ages.min);
        self.opt_u8(ages.max);
        self.codes(accessibility.iter().map(|f| f.as_str()));
        self.bool(*online);
        self.location(location.as_ref());
        self.bool(*confidential_location);
        self.u32(schedule.len() as u32);
        for s in schedule {
            self.str(s.day.as_str());
            self.bytes(&s.start.minutes().to_le_bytes());
            self.bytes(&s.end.minutes().to_le_bytes());
        }
        let Contact {
            name,
            email,
            phone,
            website,
        } = contact;
        for field in [name, email, phone, website] {
            self.opt_str(field.as_deref());
        }
        self.bool(capacity.is_some());
        if let Some(c) = capacity {
            self.u32(*c);
        }
        self.bool(*taking_new_people);
        self.bool(last_verified_on.is_some());
        if let Some(d) = last_verified_on {
            self.bytes(&d.to_julian_day().to_le_bytes());
        }
        self.opt_str(external_id.as_deref());
    }

    fn location(&mut self, l: Option<&Location>) {
        self.bool(l.is_some());
        let Some(Location {
            address,
            town,
            postcode,
            point,
            area,
        }) = l
        else {
            return;
        };
        self.opt_str(address.as_deref());
        self.opt_str(town.as_deref());
        self.opt_str(postcode.as_ref().map(Postcode::as_str));
        self.bool(point.is_some());
        if let Some(p) = point {
            self.bytes(&p.lat.to_le_bytes());
            self.bytes(&p.lon.to_le_bytes());
        }
        self.opt_str(area.as_deref());
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        if self.0.len() < n {
            return Err(CodecError("the record ends early"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn bool(&mut self) -> Result<bool, CodecError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(CodecError("a flag is neither 0 nor 1")),
        }
    }

    fn uuid(&mut self) -> Result<Uuid, CodecError> {
        Ok(Uuid::from_bytes(self.array()?))
    }

    fn str(&mut self) -> Result<&str, CodecError> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| CodecError("a text is not UTF-8"))
    }

    fn string(&mut self) -> Result<String, CodecError> {
        self.str().map(str::to_owned)
    }

    fn opt_string(&mut self) -> Result<Option<String>, CodecError> {
        if self.bool()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }

    fn opt_u8(&mut self) -> Result<Option<u8>, CodecError> {
        if self.bool()? {
            self.u8().map(Some)
        } else {
            Ok(None)
        }
    }

    fn time(&mut self) -> Result<OffsetDateTime, CodecError> {
        let nanos = i128::from_le_bytes(self.array()?);
        let offset = i32::from_le_bytes(self.array()?);
        let offset =
            UtcOffset::from_whole_seconds(offset).map_err(|_| CodecError("a bad offset"))?;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map(|t| t.to_offset(offset))
            .map_err(|_| CodecError("a time out of range"))
    }

    fn code<T>(
        &mut self,
        parse: fn(&str) -> Result<T, socialrx_domain::violations::Invalid>,
    ) -> Result<T, CodecError> {
        parse(self.str()?).map_err(|_| CodecError("an unknown code"))
    }

    fn codes<T>(
        &mut self,
        parse: fn(&str) -> Result<T, socialrx_domain::violations::Invalid>,
    ) -> Result<Vec<T>, CodecError> {
        let n = self.u32()? as usize;
        // A damaged length must not reserve gigabytes: each code takes at least 4 bytes.
        let mut out = Vec::with_capacity(n.min(self.0.len() / 4));
        for _ in 0..n {
            out.push(self.code(parse)?);
        }
        Ok(out)
    }

    fn details(&mut self) -> Result<NewActivity, CodecError> {
        Ok(NewActivity {
            provider_id: self.uuid()?,
            name: self.string()?,
            description: self.opt_string()?,
            categories: self.codes(Category::parse)?,
            status: self.code(ActivityStatus::parse)?,
            join_method: self.code(JoinMethod::parse)?,
            cost: match self.u8()? {
                0 => Cost::Free,
                1 => Cost::Paid {
                    pence: self.u32()?,
                    unit: self.code(CostUnit::parse)?,
                },
                2 => Cost::Unknown,
                _ => return Err(CodecError("an unknown cost")),
            },
            ages: AgeRange {
                min: self.opt_u8()?,
                max: self.opt_u8()?,
            },
            accessibility: self.codes(AccessibilityFeature::parse)?,
            online: self.bool()?,
            location: self.location()?,
            confidential_location: self.bool()?,
            schedule: self.schedule()?,
            contact: Contact {
                name: self.opt_string()?,
                email: self.opt_string()?,
                phone: self.opt_string()?,
                website: self.opt_string()?,
            },
            capacity: if self.bool()? {
                Some(self.u32()?)
            } else {
                None
            },
            taking_new_people: self.bool()?,
            last_verified_on: if self.bool()? {
                let day = i32::from_le_bytes(self.array()?);
                Some(Date::from_julian_day(day).map_err(|_| CodecError("a date out of range"))?)
            } else {
                None
            },
            external_id: self.opt_string()?,
        })
    }

    fn schedule(&mut self) -> Result<Vec<Session>, CodecError> {
        let n = self.u32()? as usize;
        let mut out = Vec::with_capacity(n.min(self.0.len() / 8));
        for _ in 0..n {
            out.push(Session {
                day: self.code(Weekday::parse)?,
                start: TimeOfDay::from_minutes(u16::from_le_bytes(self.array()?)),
                end: TimeOfDay::from_minutes(u16::from_le_bytes(self.array()?)),
            });
        }
        Ok(out)
    }

    fn location(&mut self) -> Result<Option<Location>, CodecError> {
        if !self.bool()? {
            return Ok(None);
        }
        Ok(Some(Location {
            address: self.opt_string()?,
            town: self.opt_string()?,
            postcode: match self.opt_string()? {
                Some(p) => {
                    Some(Postcode::parse(&p).map_err(|_| CodecError("a postcode does not parse"))?)
                }
                None => None,
            },
            point: if self.bool()? {
                Some(Point {
                    lat: f64::from_le_bytes(self.array()?),
                    lon: f64::from_le_bytes(self.array()?),
                })
            } else {
                None
            },
            area: self.opt_string()?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    /// Every field set, and every optional one filled, so that a field the codec drops or
    /// misorders shows as a difference.
    fn full() -> Activity {
        Activity {
            id: Uuid::from_u128(7),
            organisation: "Y02794".into(),
            provider_name: "Leeds Libraries".into(),
            version: 42,
            created_at: datetime!(2026-11-01 09:00:00.123456789 UTC),
            updated_at: datetime!(2026-11-02 10:30:00.5 +01:00),
            details: NewActivity {
                provider_id: Uuid::from_u128(1000),
                name: "Knit and natter ☕".into(),
                description: Some("Bring wool; tea provided.".into()),
                categories: vec![
                    Category::ArtsAndCrafts,
                    Category::SocialGroupsAndBefriending,
                ],
                status: ActivityStatus::Active,
                join_method: JoinMethod::Booking,
                cost: Cost::Paid {
                    pence: 350,
                    unit: CostUnit::PerSession,
                },
                ages: AgeRange {
                    min: Some(18),
                    max: Some(99),
                },
                accessibility: vec![
                    AccessibilityFeature::StepFreeAccess,
                    AccessibilityFeature::HearingLoop,
                ],
                online: true,
                location: Some(Location {
                    address: Some("1 Main St".into()),
                    town: Some("Leeds".into()),
                    postcode: Some(Postcode::parse("LS6 1AB").unwrap()),
                    point: Some(Point {
                        lat: 53.8,
                        lon: -1.57,
                    }),
                    area: Some("Leeds North".into()),
                }),
                confidential_location: true,
                schedule: vec![
                    Session {
                        day: Weekday::Tuesday,
                        start: TimeOfDay::parse("10:00").unwrap(),
                        end: TimeOfDay::parse("11:30").unwrap(),
                    },
                    Session {
                        day: Weekday::Sunday,
                        start: TimeOfDay::parse("00:00").unwrap(),
                        end: TimeOfDay::parse("23:59").unwrap(),
                    },
                ],
                contact: Contact {
                    name: Some("Ann".into()),
                    email: Some("ann@example.org".into()),
                    phone: Some("0113 496 0000".into()),
                    website: Some("https://example.org".into()),
                },
                capacity: Some(12),
                taking_new_people: false,
                last_verified_on: Some(date!(2026 - 10 - 01)),
                external_id: Some("feed-1".into()),
            },
        }
    }

    fn round_trip(a: &Activity) -> (u32, Activity) {
        let mut bytes = Vec::new();
        encode(9, a, &mut bytes);
        decode(&bytes).unwrap()
    }

    #[test]
    fn an_activity_with_every_field_set_comes_back_the_same() {
        let a = full();
        let (slot, back) = round_trip(&a);
        assert_eq!(slot, 9);
        assert_eq!(back, a);
        assert_eq!(back.updated_at.offset(), a.updated_at.offset());
    }

    #[test]
    fn an_activity_with_every_optional_field_empty_comes_back_the_same() {
        let mut a = full();
        let d = &mut a.details;
        d.description = None;
        d.categories.clear();
        d.cost = Cost::Unknown;
        d.ages = AgeRange::default();
        d.accessibility.clear();
        d.location = None;
        d.schedule.clear();
        d.contact = Contact::default();
        d.capacity = None;
        d.last_verified_on = None;
        d.external_id = None;
        assert_eq!(round_trip(&a).1, a);
        a.details.cost = Cost::Free;
        assert_eq!(round_trip(&a).1, a);
    }

    #[test]
    fn a_cut_or_damaged_record_is_refused() {
        let mut bytes = Vec::new();
        encode(1, &full(), &mut bytes);
        for n in [0, 3, 20, bytes.len() - 1] {
            assert!(decode(&bytes[..n]).is_err(), "cut at {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        // The organisation's length, made huge.
        let mut damaged = bytes;
        damaged[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&damaged).is_err());
    }
}
