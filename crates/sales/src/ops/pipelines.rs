//! Pipelines and their ordered stages; rename and reorder keep stage ids, so history stays.

use super::common::{check_version, finish, required};
use crate::dto::{NewPipeline, Pipeline, PipelinePatch, Stage, StageInput, StageType};
use crate::error::Result;
use crate::model::{deal, pipeline, stage};
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Action, Ctx, Error, FieldError, new_id};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub(crate) fn stage_dto(s: stage::Model) -> Stage {
    Stage {
        id: s.id,
        name: s.name,
        position: s.position,
        probability: s.probability,
        stage_type: StageType::parse(&s.stage_type).unwrap_or(StageType::Open),
    }
}

pub(crate) async fn stages_of(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    pipeline_id: Uuid,
) -> Result<Vec<stage::Model>> {
    Ok(stage::Entity::find()
        .filter(stage::Column::OrgId.eq(ctx.org_id()))
        .filter(stage::Column::PipelineId.eq(pipeline_id))
        .order_by_asc(stage::Column::Position)
        .all(db)
        .await?)
}

async fn to_dto(db: &impl ConnectionTrait, ctx: &Ctx, p: pipeline::Model) -> Result<Pipeline> {
    let stages = stages_of(db, ctx, p.id)
        .await?
        .into_iter()
        .map(stage_dto)
        .collect();
    Ok(Pipeline {
        id: p.id,
        name: p.name,
        is_default: p.is_default,
        stages,
        version: p.version,
        created_at: p.created_at,
    })
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: Uuid,
) -> Result<pipeline::Model> {
    pipeline::Entity::find_by_id(id)
        .filter(pipeline::Column::OrgId.eq(ctx.org_id()))
        .filter(pipeline::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("Pipeline").into())
}

/// The default pipeline (or the oldest one).
pub(crate) async fn default_pipeline(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
) -> Result<pipeline::Model> {
    pipeline::Entity::find()
        .filter(pipeline::Column::OrgId.eq(ctx.org_id()))
        .filter(pipeline::Column::DeletedAt.is_null())
        .order_by_desc(pipeline::Column::IsDefault)
        .order_by_asc(pipeline::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::invalid_field("/pipeline_id", "required", "create a pipeline first").into()
        })
}

fn check_stages(stages: &[StageInput], errors: &mut Vec<FieldError>) {
    if stages.is_empty() || stages.len() > 50 {
        errors.push(FieldError::new(
            "/stages",
            "length",
            "a pipeline has 1 to 50 stages",
        ));
    }
    for t in [StageType::Open, StageType::Won, StageType::Lost] {
        if !stages
            .iter()
            .any(|s| s.stage_type.unwrap_or(StageType::Open) == t)
        {
            errors.push(FieldError::new(
                "/stages",
                "missing_stage",
                format!("needs at least one {} stage", t.as_str()),
            ));
        }
    }
    for (i, s) in stages.iter().enumerate() {
        if let Some(p) = s.probability
            && !(0..=100).contains(&p)
        {
            errors.push(FieldError::new(
                format!("/stages/{i}/probability"),
                "range",
                "must be between 0 and 100",
            ));
        }
    }
}

async fn write_stages(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    pipeline_id: Uuid,
    stages: Vec<StageInput>,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    let now = Utc::now();
    let existing = stages_of(db, ctx, pipeline_id).await?;
    let kept: Vec<Uuid> = stages.iter().filter_map(|s| s.id).collect();
    for (i, s) in stages.iter().enumerate() {
        if let Some(id) = s.id
            && !existing.iter().any(|e| e.id == id)
        {
            errors.push(FieldError::new(
                format!("/stages/{i}/id"),
                "not_found",
                "is not a stage of this pipeline",
            ));
        }
    }
    for gone in existing.iter().filter(|e| !kept.contains(&e.id)) {
        let deals = deal::Entity::find()
            .filter(deal::Column::OrgId.eq(ctx.org_id()))
            .filter(deal::Column::StageId.eq(gone.id))
            .count(db)
            .await?;
        if deals > 0 {
            errors.push(FieldError::new(
                "/stages",
                "in_use",
                format!("stage `{}` holds {deals} deals; move them first", gone.name),
            ));
        }
    }
    let names: Vec<String> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| required(s.name.clone(), &format!("/stages/{i}/name"), 200, errors))
        .collect();
    finish(std::mem::take(errors))?;
    for gone in existing.iter().filter(|e| !kept.contains(&e.id)) {
        stage::Entity::delete_by_id(gone.id).exec(db).await?;
    }
    for (i, (s, name)) in stages.into_iter().zip(names).enumerate() {
        let t = s.stage_type.unwrap_or(StageType::Open);
        let probability = s.probability.unwrap_or(match t {
            StageType::Won => 100,
            StageType::Lost => 0,
            StageType::Open => 10,
        });
        let position = i32::try_from(i).unwrap_or(i32::MAX);
        match s.id {
            Some(id) => {
                stage::Entity::update_many()
                    .col_expr(stage::Column::Name, Expr::value(name))
                    .col_expr(stage::Column::Position, Expr::value(position))
                    .col_expr(stage::Column::Probability, Expr::value(probability))
                    .col_expr(stage::Column::StageType, Expr::value(t.as_str()))
                    .col_expr(stage::Column::UpdatedAt, Expr::value(now))
                    .filter(stage::Column::Id.eq(id))
                    .exec(db)
                    .await?;
            }
            None => {
                stage::ActiveModel {
                    id: Set(new_id()),
                    org_id: Set(ctx.org_id()),
                    pipeline_id: Set(pipeline_id),
                    name: Set(name),
                    position: Set(position),
                    probability: Set(probability),
                    stage_type: Set(t.as_str().to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}

async fn clear_default(db: &impl ConnectionTrait, ctx: &Ctx) -> Result<()> {
    pipeline::Entity::update_many()
        .col_expr(pipeline::Column::IsDefault, Expr::value(false))
        .filter(pipeline::Column::OrgId.eq(ctx.org_id()))
        .exec(db)
        .await?;
    Ok(())
}

/// Creates a pipeline with its stages (admins: pipelines are configuration).
pub async fn create_pipeline(ctx: &Ctx, input: NewPipeline) -> Result<Pipeline> {
    ctx.require(Action::Configure)?;
    let mut errors = Vec::new();
    let name = required(input.name, "/name", 200, &mut errors);
    check_stages(&input.stages, &mut errors);
    if input.stages.iter().any(|s| s.id.is_some()) {
        errors.push(FieldError::new(
            "/stages",
            "invalid_value",
            "new stages have no id",
        ));
    }
    finish(std::mem::take(&mut errors))?;
    let now = Utc::now();
    let tx = begin_write(&ctx.db).await?;
    let first = pipeline::Entity::find()
        .filter(pipeline::Column::OrgId.eq(ctx.org_id()))
        .count(&tx)
        .await?
        == 0;
    if input.is_default {
        clear_default(&tx, ctx).await?;
    }
    let p = pipeline::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id()),
        name: Set(name),
        is_default: Set(input.is_default || first),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(&tx)
    .await?;
    write_stages(&tx, ctx, p.id, input.stages, &mut errors).await?;
    let out = to_dto(&tx, ctx, p).await?;
    tx.commit().await?;
    Ok(out)
}

/// The organization's pipelines.
pub async fn list_pipelines(ctx: &Ctx) -> Result<Vec<Pipeline>> {
    ctx.require(Action::Read)?;
    let rows = pipeline::Entity::find()
        .filter(pipeline::Column::OrgId.eq(ctx.org_id()))
        .filter(pipeline::Column::DeletedAt.is_null())
        .order_by_asc(pipeline::Column::Id)
        .all(&ctx.db)
        .await?;
    let mut out = Vec::new();
    for p in rows {
        out.push(to_dto(&ctx.db, ctx, p).await?);
    }
    Ok(out)
}

/// One pipeline.
pub async fn get_pipeline(ctx: &Ctx, id: Uuid) -> Result<Pipeline> {
    ctx.require(Action::Read)?;
    let p = find(&ctx.db, ctx, id).await?;
    to_dto(&ctx.db, ctx, p).await
}

/// Renames a pipeline or replaces its stage list (admins).
pub async fn update_pipeline(
    ctx: &Ctx,
    id: Uuid,
    patch: PipelinePatch,
    if_version: Option<i64>,
) -> Result<Pipeline> {
    ctx.require(Action::Configure)?;
    let mut errors = Vec::new();
    if let Some(stages) = &patch.stages {
        check_stages(stages, &mut errors);
    }
    let name = patch.name.map(|n| required(n, "/name", 200, &mut errors));
    finish(std::mem::take(&mut errors))?;
    let tx = begin_write(&ctx.db).await?;
    let current = find(&tx, ctx, id).await?;
    check_version(if_version, current.version)?;
    if patch.is_default == Some(true) {
        clear_default(&tx, ctx).await?;
    }
    let version = current.version;
    let mut row = current.into_active_model();
    if let Some(name) = name {
        row.name = Set(name);
    }
    if let Some(d) = patch.is_default {
        row.is_default = Set(d);
    }
    row.version = Set(version + 1);
    row.updated_at = Set(Utc::now());
    let p = row.update(&tx).await?;
    if let Some(stages) = patch.stages {
        write_stages(&tx, ctx, id, stages, &mut errors).await?;
    }
    let out = to_dto(&tx, ctx, p).await?;
    tx.commit().await?;
    Ok(out)
}
