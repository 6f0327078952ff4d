//! Shared vocabulary of the domain: channels and lifecycle stages (DOMAIN.md).

/// Declares a closed vocabulary: a snake_case enum with its stored names, serde, and (behind the
/// `openapi` / `graphql` features of the calling crate) its schema in both APIs.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, as stored.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

crate::vocabulary!(
    /// A channel of interaction: every interaction and campaign names one.
    Channel {
        /// Letters and parcels.
        PostalMail = "postal_mail",
        /// Fax.
        Fax = "fax",
        /// Email.
        Email = "email",
        /// Advertising in media.
        MediaAd = "media_ad",
        /// A service center.
        ServiceCenter = "service_center",
        /// The website.
        Website = "website",
        /// A point of sale.
        PointOfSale = "point_of_sale",
        /// A call center.
        CallCenter = "call_center",
        /// A phone call.
        Phone = "phone",
        /// Text message.
        Sms = "sms",
        /// Chat.
        Chat = "chat",
        /// Social networks.
        Social = "social",
        /// In person.
        InPerson = "in_person",
        /// An event: exhibition, seminar, conference, promotion.
        Event = "event",
    }
);

crate::vocabulary!(
    /// Where a customer stands in its relationship with the organization.
    LifecycleStage {
        /// Receives news.
        Subscriber = "subscriber",
        /// Showed interest.
        Lead = "lead",
        /// Qualified, in a sales conversation.
        Prospect = "prospect",
        /// Bought.
        Customer = "customer",
        /// Stopped buying.
        Churned = "churned",
    }
);

crate::vocabulary!(
    /// Company size by headcount.
    SizeBand {
        /// 1 to 9 people.
        Micro = "micro",
        /// 10 to 49 people.
        Small = "small",
        /// 50 to 249 people.
        Medium = "medium",
        /// 250 to 999 people.
        Large = "large",
        /// 1000 people or more.
        Enterprise = "enterprise",
    }
);
