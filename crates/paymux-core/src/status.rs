//! The unified payment status every provider's states map onto.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a payment stands, the same for every provider. The provider's own text is always
/// kept beside it in [`Payment::raw_status`](crate::Payment::raw_status).
///
/// Serialises in `snake_case` (`"partially_refunded"`). New variants may be added, so match
/// with a wildcard arm; a name this version does not know deserialises as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Created; the customer has not yet acted on the hosted page or redirect.
    AwaitingCustomer,
    /// The provider is processing; the outcome is not known yet.
    Pending,
    /// The customer must complete a step (3-D Secure, a redirect) before it can go on.
    RequiresAction,
    /// Funds are reserved on the customer's account and may be captured or voided.
    Authorized,
    /// Part of the authorized amount has been captured; more may be captured.
    PartiallyCaptured,
    /// The amount has been captured (charged); it can still be refunded.
    Captured,
    /// Part of the captured amount has been refunded to the customer.
    PartiallyRefunded,
    /// The whole captured amount has been refunded.
    Refunded,
    /// The authorization was released before capture; no money moved.
    Voided,
    /// Cancelled by the merchant or the customer before any money moved.
    Cancelled,
    /// Refused by the issuer, the provider's risk checks or the customer's scoring.
    Declined,
    /// Failed for a technical or provider-side reason.
    Failed,
    /// Not completed in time; the provider closed it.
    Expired,
    /// A provider state paymux does not know; read `raw_status` and reconcile. Also what a
    /// stored status this version does not know (written by a newer paymux) reads as.
    #[serde(other)]
    Unknown,
}

/// An operation on an existing payment, for checking whether a status permits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// Create a payment.
    Create,
    /// Read a payment.
    Get,
    /// Capture authorized funds.
    Capture,
    /// Refund captured funds.
    Refund,
    /// Release an authorization.
    Void,
    /// Change metadata.
    UpdateMetadata,
}

impl Operation {
    /// A short lower-case name, e.g. `"capture"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Get => "get",
            Operation::Capture => "capture",
            Operation::Refund => "refund",
            Operation::Void => "void",
            Operation::UpdateMetadata => "update_metadata",
        }
    }

    /// True for operations that move money or change state on the provider.
    pub fn is_mutation(self) -> bool {
        !matches!(self, Operation::Get)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PaymentStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [PaymentStatus; 14] = [
        PaymentStatus::AwaitingCustomer,
        PaymentStatus::Pending,
        PaymentStatus::RequiresAction,
        PaymentStatus::Authorized,
        PaymentStatus::PartiallyCaptured,
        PaymentStatus::Captured,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
        PaymentStatus::Voided,
        PaymentStatus::Cancelled,
        PaymentStatus::Declined,
        PaymentStatus::Failed,
        PaymentStatus::Expired,
        PaymentStatus::Unknown,
    ];

    /// The `snake_case` name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::AwaitingCustomer => "awaiting_customer",
            PaymentStatus::Pending => "pending",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::PartiallyCaptured => "partially_captured",
            PaymentStatus::Captured => "captured",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Voided => "voided",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::Declined => "declined",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Expired => "expired",
            PaymentStatus::Unknown => "unknown",
        }
    }

    /// True when nothing more can happen to the payment: refunded, voided, cancelled,
    /// declined, failed or expired. `Unknown` is not terminal: reconcile it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            PaymentStatus::Refunded
                | PaymentStatus::Voided
                | PaymentStatus::Cancelled
                | PaymentStatus::Declined
                | PaymentStatus::Failed
                | PaymentStatus::Expired
        )
    }

    /// True when the customer's payment was approved: authorized, captured in part or in
    /// full, or refunded afterwards.
    pub fn is_successful(self) -> bool {
        matches!(
            self,
            PaymentStatus::Authorized
                | PaymentStatus::PartiallyCaptured
                | PaymentStatus::Captured
                | PaymentStatus::PartiallyRefunded
                | PaymentStatus::Refunded
        )
    }

    /// The statuses `operation` may start from: capture from authorized or partially
    /// captured; refund from captured, partially captured or partially refunded; void from
    /// authorized (the authorization is released) or awaiting customer (the unpaid payment is
    /// cancelled, as Paiwise's delete and Twisto's cancel do); metadata updates and reads from
    /// any status.
    pub fn allowed_for(operation: Operation) -> &'static [PaymentStatus] {
        use PaymentStatus::*;
        match operation {
            Operation::Capture => &[Authorized, PartiallyCaptured],
            Operation::Refund => &[Captured, PartiallyCaptured, PartiallyRefunded],
            Operation::Void => &[AwaitingCustomer, Authorized],
            Operation::Create | Operation::Get | Operation::UpdateMetadata => &Self::ALL,
        }
    }

    /// Whether `operation` may start from this status. `Unknown` permits everything: the
    /// provider, which knows its own state, decides.
    pub fn permits(self, operation: Operation) -> bool {
        self == PaymentStatus::Unknown || Self::allowed_for(operation).contains(&self)
    }

    /// Statuses that may follow this one in a normal lifecycle.
    pub fn may_become(self) -> &'static [PaymentStatus] {
        use PaymentStatus::*;
        match self {
            AwaitingCustomer | Pending | RequiresAction => &[
                Pending,
                RequiresAction,
                Authorized,
                Captured,
                Declined,
                Failed,
                Cancelled,
                Expired,
            ],
            Authorized => &[PartiallyCaptured, Captured, Voided, Expired, Cancelled],
            PartiallyCaptured => &[PartiallyCaptured, Captured, PartiallyRefunded, Refunded],
            Captured => &[PartiallyRefunded, Refunded],
            PartiallyRefunded => &[PartiallyRefunded, Refunded],
            Unknown => &Self::ALL,
            Refunded | Voided | Cancelled | Declined | Failed | Expired => &[],
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_start_only_where_documented() {
        use PaymentStatus::*;
        assert!(Authorized.permits(Operation::Capture));
        assert!(PartiallyCaptured.permits(Operation::Capture));
        assert!(!Captured.permits(Operation::Capture));
        assert!(Captured.permits(Operation::Refund));
        assert!(PartiallyRefunded.permits(Operation::Refund));
        assert!(!Authorized.permits(Operation::Refund));
        assert!(Authorized.permits(Operation::Void));
        assert!(!Captured.permits(Operation::Void));
        // An unpaid hosted payment can be cancelled (Paiwise delete, Twisto cancel).
        assert!(AwaitingCustomer.permits(Operation::Void));
        assert!(!Pending.permits(Operation::Void) && !PartiallyCaptured.permits(Operation::Void));
        assert!(Refunded.permits(Operation::UpdateMetadata));
        for s in PaymentStatus::ALL {
            if s.is_terminal() {
                assert!(
                    !s.permits(Operation::Capture)
                        && !s.permits(Operation::Refund)
                        && !s.permits(Operation::Void)
                );
                assert!(s.may_become().is_empty(), "{s} is terminal");
            }
        }
    }

    #[test]
    fn serde_is_snake_case_and_matches_as_str() {
        for s in PaymentStatus::ALL {
            let json = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }
}
