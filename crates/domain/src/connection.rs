//! Connections: a referral linked to an activity (a social prescription), and the moves
//! its status may make.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::code_list;

code_list!(
    /// Where a connection stands.
    ConnectionStatus {
        Suggested => "suggested",
        Referred => "referred",
        Attending => "attending",
        Completed => "completed",
        Declined => "declined",
        DidNotAttend => "did_not_attend",
    }
);

impl ConnectionStatus {
    /// The states a connection may move to next. `completed` and `declined` are final;
    /// a person who did not attend may still be referred again or start attending
    /// (often with a supported first attendance).
    pub fn next(self) -> &'static [ConnectionStatus] {
        use ConnectionStatus::*;
        match self {
            Suggested => &[Referred, Attending, Declined],
            Referred => &[Attending, DidNotAttend, Declined],
            Attending => &[Completed, Declined, DidNotAttend],
            DidNotAttend => &[Referred, Attending, Declined],
            Completed | Declined => &[],
        }
    }

    /// Whether the person took the connection up: agreed to go (referred), went, or was
    /// expected and missed a session. A connection only suggested, or declined, was not
    /// taken up; the referrer's view counts only those taken up (the service's report
    /// counts every connection, by status as well).
    pub fn taken_up(self) -> bool {
        !matches!(
            self,
            ConnectionStatus::Suggested | ConnectionStatus::Declined
        )
    }

    /// How an intervention went, as the message back to the GP reports it: `worked`
    /// (completed, or still attending), `did_not_work` (declined, or did not attend), or
    /// `not_started` (suggested or referred, not begun). Interventions that did not work
    /// are reported too: the standard asks for what was tried, not only what succeeded.
    pub fn how_it_went(self) -> &'static str {
        use ConnectionStatus::*;
        match self {
            Completed | Attending => "worked",
            Declined | DidNotAttend => "did_not_work",
            Suggested | Referred => "not_started",
        }
    }

    /// Still going somewhere: not `completed` nor `declined`.
    pub fn is_open(self) -> bool {
        !self.next().is_empty()
    }

    pub fn transition(self, to: ConnectionStatus) -> Result<ConnectionStatus, IllegalMove> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(IllegalMove { from: self, to })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a connection that is '{from}' cannot move to '{to}'")]
pub struct IllegalMove {
    pub from: ConnectionStatus,
    pub to: ConnectionStatus,
}

/// A new connection as the link worker makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnection {
    pub activity_id: Uuid,
    pub supported_first_attendance: bool,
    pub note: Option<String>,
}

/// A change of status, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub status: ConnectionStatus,
    pub note: Option<String>,
    /// Set when the link worker decides to go along after all (or no longer will);
    /// `None` leaves it as it was.
    pub supported_first_attendance: Option<bool>,
}

/// One recorded move of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEvent {
    pub from: Option<ConnectionStatus>,
    pub to: ConnectionStatus,
    pub note: Option<String>,
    pub actor: String,
    pub at: OffsetDateTime,
}

/// A connection as stored, with its history oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: Uuid,
    pub organisation: String,
    pub referral_id: Uuid,
    pub activity_id: Uuid,
    pub activity_name: String,
    pub status: ConnectionStatus,
    pub supported_first_attendance: bool,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub history: Vec<ConnectionEvent>,
}

/// The open connection that stands in the way of connecting a referral to an activity
/// again, given the referral's connections to that activity: a second open one would be
/// the same prescription twice (and counted twice). Once the earlier one has ended
/// (`completed` or `declined`) a fresh try is a new connection.
pub fn already_connected(
    to_the_activity: &[(Uuid, ConnectionStatus)],
) -> Option<(Uuid, ConnectionStatus)> {
    to_the_activity.iter().copied().find(|(_, s)| s.is_open())
}

#[cfg(test)]
mod tests {
    use super::ConnectionStatus::*;
    use super::*;

    #[test]
    fn the_message_back_says_what_worked_and_what_did_not() {
        let went: Vec<_> = ConnectionStatus::ALL
            .iter()
            .map(|s| s.how_it_went())
            .collect();
        assert_eq!(
            went,
            [
                "not_started",
                "not_started",
                "worked",
                "worked",
                "did_not_work",
                "did_not_work"
            ]
        );
        assert_eq!(DidNotAttend.how_it_went(), "did_not_work");
    }

    #[test]
    fn a_suggestion_may_go_straight_to_a_supported_attendance() {
        assert_eq!(Suggested.transition(Attending), Ok(Attending));
        assert_eq!(Attending.transition(Completed), Ok(Completed));
    }

    #[test]
    fn completed_and_declined_are_final() {
        for to in ConnectionStatus::ALL {
            assert!(Completed.transition(*to).is_err());
            assert!(Declined.transition(*to).is_err());
        }
    }

    #[test]
    fn only_connections_the_person_agreed_to_count_as_taken_up() {
        for s in [Referred, Attending, Completed, DidNotAttend] {
            assert!(s.taken_up(), "{s}");
        }
        for s in [Suggested, Declined] {
            assert!(!s.taken_up(), "{s}");
        }
    }

    #[test]
    fn a_missed_first_session_can_be_tried_again() {
        assert_eq!(Referred.transition(DidNotAttend), Ok(DidNotAttend));
        assert_eq!(DidNotAttend.transition(Attending), Ok(Attending));
    }

    #[test]
    fn no_state_moves_to_itself_or_back_to_suggested() {
        for from in ConnectionStatus::ALL {
            assert!(from.transition(*from).is_err(), "{from}");
            assert!(from.transition(Suggested).is_err(), "{from}");
        }
    }

    #[test]
    fn an_open_connection_to_the_activity_stands_in_the_way_and_an_ended_one_does_not() {
        use super::already_connected;
        let (a, b) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        assert_eq!(already_connected(&[]), None);
        assert_eq!(already_connected(&[(a, Declined), (b, Completed)]), None);
        assert_eq!(
            already_connected(&[(a, Declined), (b, DidNotAttend)]),
            Some((b, DidNotAttend))
        );
        assert_eq!(already_connected(&[(a, Suggested)]), Some((a, Suggested)));
    }
}
