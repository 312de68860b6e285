//! Controlled vocabularies: each is a closed enum with a stable snake_case code used in the
//! API, the database and the OpenAPI schema alike.

use crate::violations::Invalid;

/// Defines a code list: the enum, its codes, `ALL`, `as_str` and `parse`.
#[macro_export]
macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every code, in the order the list is defined.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const CODES: &'static [&'static str] = &[$($code),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a code; the error lists the codes that are allowed.
            pub fn parse(raw: &str) -> Result<Self, $crate::violations::Invalid> {
                match raw {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::codes::not_in_list(raw, Self::CODES)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub fn not_in_list(raw: &str, codes: &[&str]) -> Invalid {
    // Echo only a short, printable prefix of what was sent: it may be hostile.
    let shown: String = raw.chars().filter(|c| !c.is_control()).take(40).collect();
    Invalid::new(
        "not_in_list",
        format!("'{shown}' is not one of: {}", codes.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    code_list!(Colour { Red => "red", DarkBlue => "dark_blue" });

    #[test]
    fn codes_round_trip() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()).unwrap(), *c);
        }
    }

    #[test]
    fn an_unknown_code_names_the_allowed_ones() {
        let e = Colour::parse("green").unwrap_err();
        assert_eq!(e.code, "not_in_list");
        assert!(e.message.contains("red, dark_blue"), "{}", e.message);
    }
}
