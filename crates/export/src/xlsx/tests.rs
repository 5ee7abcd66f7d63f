use super::*;

#[test]
fn text_is_escaped_and_cleaned_for_xml() {
    let mut out = Vec::new();
    xml_text(&mut out, "a<b>&\"c\"\u{1}\u{b}\td\n\u{FFFE}é\u{FFFF}");
    assert_eq!(String::from_utf8(out).unwrap(), "a&lt;b&gt;&amp;&quot;c&quot;\td\né");
}

#[test]
fn sheet_names_are_valid_unique_and_short() {
    let mut taken = Vec::new();
    assert_eq!(sheet_name("Spend: Q1/Q2 [draft]", &mut taken), "Spend- Q1-Q2 -draft-");
    assert_eq!(
        sheet_name("A very long section title that goes on and on", &mut taken),
        "A very long section title that"
    );
    assert_eq!(
        sheet_name("A very long section title that goes on", &mut taken),
        "A very long section title t (2)"
    );
    assert_eq!(sheet_name("'quoted'", &mut taken), "quoted");
    assert_eq!(sheet_name("QUOTED", &mut taken), "QUOTED (2)");
    assert_eq!(sheet_name("History", &mut taken), "History (2)");
}

/// Write `records` with at most `max_rows` rows a sheet; each sheet's name and data rows'
/// first cells.
fn long_sheets(
    example: &str,
    answers: &str,
    records: usize,
    limits: (u32, u64),
) -> Vec<(String, Vec<String>)> {
    use calamine::Reader;
    let yaml =
        std::fs::read(format!("{}/../../examples/{example}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let plan = Arc::new(Plan::new(&[Arc::new(formwork_definition::load(&yaml).unwrap())]).unwrap());
    let options = Options::default();
    let output = crate::output(&plan, crate::Format::Xlsx, &options).unwrap();
    let source = Source::new(plan, &options);
    let mut out = Vec::new();
    let mut writer = XlsxWriter::with_limits(source, options, output, &mut out, limits).unwrap();
    let ids: Vec<String> = (1..=records).map(|i| format!("r{i}")).collect();
    for id in &ids {
        let meta = Meta {
            id,
            reference: None,
            organisation: "O",
            organisation_id: "o",
            period: "2026-04-01",
            state: "draft",
            version: 1,
            upload: None,
            submitted_at: None,
            updated_at: 0,
        };
        writer.write(&meta, answers).unwrap();
    }
    Box::new(writer).finish().unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(out)).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let first: Vec<String> = range.rows().skip(1).map(|r| format!("{}#{}", r[0], r[2])).collect();
            (name, first)
        })
        .collect()
}

#[test]
fn a_full_sheet_goes_on_in_a_new_sheet() {
    let sheets = long_sheets("lettings-log", "{}", 5, (2, SHEET_BYTES));
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["Records", "Records (2)", "Records (3)", "Dictionary"]);
    assert_eq!(sheets[0].1, vec!["r1#o", "r2#o"]);
    assert_eq!(sheets[1].1, vec!["r3#o", "r4#o"]);
    assert_eq!(sheets[2].1, vec!["r5#o"]);
    assert_eq!(sheets[3].1[0], "Records, Records (2), Records (3)#Id of the submission or record");
}

#[test]
fn a_sheet_goes_on_in_a_new_sheet_before_its_zip_entry_would_need_zip64() {
    let sheets = long_sheets("lettings-log", "{}", 3, (SHEET_ROWS, 1));
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["Records", "Records (2)", "Records (3)", "Dictionary"]);
    assert_eq!(sheets[1].1, vec!["r2#o"]);
}

#[test]
fn a_table_sheet_fills_up_part_way_through_a_submissions_rows() {
    let answers = r#"{"programme_name":"P","spend":[{"amount":"1"},{"amount":"2"},{"amount":"3"}]}"#;
    let sheets = long_sheets("towns-fund-monitoring", answers, 2, (4, SHEET_BYTES));
    let spend: Vec<(&str, &Vec<String>)> =
        sheets.iter().filter(|(n, _)| n.starts_with("Spend")).map(|(n, rows)| (n.as_str(), rows)).collect();
    assert_eq!(
        spend[0],
        ("Spend to date", &vec!["r1#1".to_string(), "r1#2".into(), "r1#3".into(), "r2#1".into()])
    );
    assert_eq!(spend[1], ("Spend to date (2)", &vec!["r2#2".to_string(), "r2#3".into()]));
    assert_eq!(spend.len(), 2);
}

#[test]
fn columns_are_lettered_like_excel() {
    assert_eq!(letters(0), b"A");
    assert_eq!(letters(25), b"Z");
    assert_eq!(letters(26), b"AA");
    assert_eq!(letters(701), b"ZZ");
    assert_eq!(letters(702), b"AAA");
}
