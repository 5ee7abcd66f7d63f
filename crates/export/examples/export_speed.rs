//! How fast each format is written: `cargo run --release -p formwork-export --example export_speed
//! -- [RECORDS] [EXAMPLE] [FORMATS] [OUT_DIR]`. Makes 1,000 valid records of
//! `examples/EXAMPLE.yaml` (default `lettings-log`) as the engine stores them, writes RECORDS of
//! them (default 200,000) in each of FORMATS (default `csv,jsonl,xlsx,parquet`) to nowhere (or to
//! OUT_DIR, to open the files), and prints records per second.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measuring tool stops loudly at anything unexpected"
)]

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use formwork_definition::validate::json::values_to_json;
use formwork_export::{Dictionary, Format, Meta, Options, Plan, output, writer};

/// Counts what is written.
struct Count(Arc<std::sync::atomic::AtomicU64>, Option<std::fs::File>);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if let Some(f) = &mut self.1 {
            f.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// CPU seconds this process has used (user and system), from `/proc/self/stat` where there is one:
/// on a busy machine a better measure than the wall clock.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let records: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let example = args.get(2).map(String::as_str).unwrap_or("lettings-log");
    let formats: Vec<Format> = args
        .get(3)
        .map_or("csv,jsonl,xlsx,parquet", String::as_str)
        .split(',')
        .map(|f| Format::parse(f).expect("a format"))
        .collect();
    let out_dir = args.get(4);
    let yaml =
        std::fs::read(format!("{}/../../examples/{example}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let def = Arc::new(formwork_definition::load(&yaml).expect("the example loads"));
    let mut generator = formwork_testdata::Generator::new(&def, 7).with_table_rows(5);
    let stored: Vec<String> = (0..1_000)
        .map(|_| {
            serde_json::Value::Object(values_to_json(&def, &generator.valid().unwrap().values)).to_string()
        })
        .collect();
    let average = stored.iter().map(String::len).sum::<usize>() / stored.len();
    println!("{example}: {records} records of {average} bytes of stored answers on average");
    let plan = Arc::new(Plan::new(&[Arc::clone(&def)]).unwrap());
    let ids: Vec<String> = (0..stored.len()).map(|i| format!("0190a5c3-7d2e-7c1a-9b7e-{i:012}")).collect();
    for format in formats {
        let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let options = Options::default();
        let name = output(&plan, format, &options).unwrap().file_name;
        let file = out_dir.map(|d| std::fs::File::create(format!("{d}/{name}")).unwrap());
        let out = Count(Arc::clone(&written), file);
        let start = Instant::now();
        let cpu_start = cpu_seconds();
        let mut w = writer(format, Arc::clone(&plan), options, Dictionary::default(), out).unwrap();
        let mut first_bytes = None;
        for i in 0..records {
            let meta = Meta {
                id: &ids[i % ids.len()],
                reference: Some("LET-2026-000123"),
                organisation: "Riverside Homes",
                organisation_id: "0190a5c3-0000-7000-8000-000000000001",
                period: "2026-04-01",
                state: "complete",
                version: def.version,
                upload: None,
                submitted_at: Some(1_775_035_800_000 + i as i64),
                updated_at: 1_775_035_800_000 + i as i64,
            };
            w.write(&meta, &stored[i % stored.len()]).unwrap();
            if i % 10_000 == 9_999 {
                w.flush().unwrap();
                if first_bytes.is_none() {
                    first_bytes = Some(start.elapsed());
                }
            }
        }
        w.finish().unwrap();
        let took = start.elapsed();
        let cpu = cpu_seconds().zip(cpu_start).map(|(end, start)| end - start).unwrap_or(f64::NAN);
        println!(
            "{:8} {:>8.0} records/s ({:>8.0} a CPU second)  {:>6} MB  {:.2} s  (first 10,000 flushed after {:?})",
            format.extension(),
            records as f64 / took.as_secs_f64(),
            records as f64 / cpu,
            written.load(std::sync::atomic::Ordering::Relaxed) >> 20,
            took.as_secs_f64(),
            first_bytes.unwrap_or_default()
        );
    }
}
