//! "Upload a spreadsheet for this section": a table section's rows from a file, checked at once.
//! A clean file replaces the rows and goes back to them with a banner; a file with problems
//! changes nothing and shows its cell-level report on the rows page, with the file marked up to
//! download.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::ServiceError;
use formwork_service::table_uploads::{self, TableUpload};

use super::return_tables::{
    TableSection, UploadReport, revision_of, stale_table_page, upload_problem_page, upload_report_page,
};
use crate::disposition::content_disposition;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::Ctx;

/// `POST /returns/{id}/sections/{section}/upload`: a CSV or XLSX file of the table's rows.
pub(crate) async fn upload(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    let revision = revision_of(&form)?;
    let Some(file) = form.file("file") else {
        return Ok(upload_problem_page(&ctx, &t, "Select a CSV or XLSX file to upload"));
    };
    let upload =
        TableUpload { table: section.clone(), file_name: file.file_name.clone(), bytes: file.bytes.clone() };
    match table_uploads::check_table_upload(
        &ctx.state,
        ctx.state.files(),
        ctx.actor(),
        &id,
        Some(revision),
        upload,
    )
    .await
    {
        Ok(outcome) if outcome.clean => {
            Ok(Redirect::to(&format!("/returns/{id}/sections/{section}?notice=table-uploaded"))
                .into_response())
        }
        Ok(outcome) => {
            let report = UploadReport {
                file_name: file.file_name.clone(),
                items: outcome.items,
                error_count: outcome.error_count,
                annotated_href: outcome
                    .annotated
                    .map(|report| format!("/returns/{id}/sections/{section}/upload/{report}")),
            };
            let t = TableSection::load(&ctx, &id, &section).await?;
            Ok(upload_report_page(&ctx, &t, report))
        }
        Err(ServiceError::Stale(stale)) => stale_table_page(&ctx, &id, &section, &stale).await,
        Err(ServiceError::Invalid(problems)) => {
            let message = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(". ");
            Ok(upload_problem_page(&ctx, &t, &message))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /returns/{id}/sections/{section}/upload/{report}`: the uploaded file with its problems
/// marked, as a workbook.
pub(crate) async fn annotated(
    ctx: Ctx,
    Path((id, section, report)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    let bytes = table_uploads::annotated(&ctx.state, ctx.state.files(), ctx.actor(), &id, &report).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    );
    let name = format!("{}-problems.xlsx", t.section_id());
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
