//! The stage material of each application (answers, work samples): stored as given for HR,
//! and redacted of the applicant's own identifiers for the panelists who read it.

use diesel::prelude::*;

use super::events::{PanelEvent, text_digest};
use super::model::*;
use super::redaction::{self, Identifiers};
use super::requests::Material;
use super::store::{find_entry, new_panel_code};
use crate::applications::identity::IdentityVault;
use crate::applications::model::{Application, ApplicationStatus, Person};
use crate::audit::model::AuditContext;
use crate::audit::store as audit;
use crate::db::Conn;
use crate::db::schema::{panel_entries, persons};
use crate::error::AppError;

/// The applicant's own identifiers, for redacting what they wrote.
pub fn identifiers(vault: &IdentityVault, person: &Person) -> Result<Identifiers, AppError> {
    Ok(Identifiers {
        name: person.full_name.clone(),
        nik: vault.decrypt(&person.nik_enc)?,
        kk: vault.decrypt(&person.kk_enc)?,
        email: person.email.clone(),
        phone: person.phone.clone(),
        birth_date: Some(person.birth_date.clone()),
    })
}

/// Attaches (or replaces) the stage material of one application of the panel's opening; the
/// redacted copy panelists read is made now, from the applicant's identity record.
pub fn attach_material(
    conn: &mut Conn,
    ctx: &AuditContext,
    vault: &IdentityVault,
    panel: &Panel,
    application: &Application,
    material: &Material,
) -> Result<Entry, AppError> {
    if panel.status == PanelStatus::Locked {
        return Err(AppError::conflict(
            "panel_locked",
            "the panel's scores are locked",
        ));
    }
    if application.opening_id != panel.opening_id {
        return Err(AppError::not_found());
    }
    if application.status == ApplicationStatus::Withdrawn {
        return Err(AppError::conflict(
            "application_withdrawn",
            "the application is withdrawn",
        ));
    }
    let person: Person = persons::table.find(application.person_id).first(conn)?;
    let who = identifiers(vault, &person)?;
    let redacted = redact_material(material, &who);
    let clear = serde_json::to_string(material).map_err(AppError::internal_from)?;
    let entry = match find_entry(conn, panel.id, application.id)? {
        Some(entry) => entry,
        None => {
            let entry = Entry {
                panel_id: panel.id,
                application_id: application.id,
                panel_code: new_panel_code()?,
                material: None,
                material_redacted: None,
                material_updated_at: None,
                in_roster: false,
                moderation_note: None,
                moderated_by: None,
                moderated_at: None,
            };
            diesel::insert_into(panel_entries::table)
                .values(&entry)
                .execute(conn)?;
            entry
        }
    };
    let redacted_text = serde_json::to_string(&redacted).map_err(AppError::internal_from)?;
    diesel::update(panel_entries::table.find((panel.id, application.id)))
        .set((
            panel_entries::material.eq(Some(&clear)),
            panel_entries::material_redacted.eq(Some(&redacted_text)),
            panel_entries::material_updated_at.eq(Some(ctx.at)),
        ))
        .execute(conn)?;
    let event = PanelEvent::Material {
        application_id: application.id,
        material_sha256: text_digest(&clear),
    };
    audit::append(conn, ctx, event.of("panel.material_attached", panel)?)?;
    Ok(Entry {
        material: Some(clear),
        material_redacted: Some(redacted_text),
        material_updated_at: Some(ctx.at),
        ..entry
    })
}

fn redact_material(material: &Material, who: &Identifiers) -> Material {
    let redactor = redaction::Redactor::new(who);
    let mut out = material.clone();
    for answer in &mut out.answers {
        answer.prompt = redactor.redact(&answer.prompt).text;
        answer.text = redactor.redact(&answer.text).text;
    }
    for sample in &mut out.work_samples {
        sample.title = redactor.redact(&sample.title).text;
        sample.reference = redactor.redact(&sample.reference).text;
    }
    out
}
