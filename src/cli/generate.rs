//! `gen applicants`: deterministic synthetic applicants for benchmarks and trials.

use std::process::ExitCode;

use super::GenCommand;
use crate::error::AppError;

pub fn applicants(command: GenCommand) -> Result<ExitCode, AppError> {
    use crate::synthetic::{Format, GenOptions, write_applicants};
    let GenCommand::Applicants {
        rows,
        seed,
        openings,
        prefix,
        format,
        invalid_per_mille,
        out,
    } = command;
    let format = match format.as_str() {
        "csv" => Format::Csv,
        "jsonl" => Format::Jsonl,
        _ => return Err(AppError::field("format", "must be csv or jsonl")),
    };
    let options = GenOptions {
        rows,
        seed,
        openings,
        opening_prefix: prefix,
        format,
        invalid_per_mille,
    };
    let written = match out {
        Some(path) => {
            let file = std::fs::File::create(&path).map_err(|e| {
                AppError::internal(format!("cannot create {}: {e}", path.display()))
            })?;
            write_applicants(std::io::BufWriter::new(file), &options)
        }
        None => write_applicants(std::io::BufWriter::new(std::io::stdout().lock()), &options),
    }
    .map_err(|e| AppError::internal(format!("cannot write: {e}")))?;
    eprintln!("generated {written} rows");
    Ok(ExitCode::SUCCESS)
}
