//! Entity ids: one UUID newtype per entity, so that ids of different entities cannot be swapped.
//! They live here, below every domain, so that the audit chain and the domains share them
//! without importing each other.

use crate::entity_id;

entity_id!(
    /// An agency (instansi).
    AgencyId
);

entity_id!(
    /// A user account.
    UserId
);

entity_id!(
    /// A login session, the `jti` of its token.
    SessionId
);

entity_id!(
    /// One recorded failed login (for throttling).
    LoginFailureId
);

entity_id!(
    /// An opening (formasi).
    OpeningId
);

entity_id!(
    /// A rule set (one selection year's national rules).
    RuleSetId
);

entity_id!(
    /// A selection round.
    RoundId
);

entity_id!(
    /// A competency of the catalogue.
    CompetencyId
);

entity_id!(
    /// A position (jabatan).
    PositionId
);

entity_id!(
    /// A recorded deviation.
    DeviationId
);

entity_id!(
    /// A person's identity record within one round.
    PersonId
);

entity_id!(
    /// An application (pendaftaran) of one person to one opening.
    ApplicationId
);

entity_id!(
    /// A bulk import job.
    ImportId
);

entity_id!(
    /// An appeal (sanggah) against a published screening result.
    AppealId
);

entity_id!(
    /// An object grant (access to one object beyond the base role).
    GrantId
);

entity_id!(
    /// The id of whatever object a grant names (its kind says which table).
    ObjectId
);

entity_id!(
    /// A scoring rubric (one version of it).
    RubricId
);

entity_id!(
    /// The panel of one panel stage or panel part of an opening.
    PanelId
);

entity_id!(
    /// One version of one panelist's score of one application.
    PanelScoreId
);
