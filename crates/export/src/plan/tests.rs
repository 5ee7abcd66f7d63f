use super::*;

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn load(yaml: &str) -> Arc<Definition> {
    Arc::new(formwork_definition::load(yaml.as_bytes()).unwrap())
}

/// Three versions of the lettings log: v2 renames `la_code` to `local_authority`, drops
/// `is_starter` and adds `weekly_rent`; v3 renames `local_authority` to `la`.
pub(crate) fn lettings_versions() -> Vec<Arc<Definition>> {
    let v1 = example("lettings-log");
    let v2 = v1
        .replace("version: 1", "version: 2")
        .replace("{id: la_code,", "{id: local_authority, renamed_from: la_code,")
        .replace(
            "      - {id: is_starter, label: \"Is this a starter tenancy?\", type: yes_no, aliases: [field_35]}\n",
            "",
        )
        .replace(
            "      - {id: basic_rent,",
            "      - {id: weekly_rent, label: \"Weekly rent\", type: money, required: false}\n      - {id: basic_rent,",
        );
    let v3 = v2
        .replace("version: 2", "version: 3")
        .replace("{id: local_authority, renamed_from: la_code,", "{id: la, renamed_from: local_authority,");
    assert_ne!(v1, v2);
    assert_ne!(v2, v3);
    vec![load(&v2), load(&v3), load(&v1)]
}

#[test]
fn columns_follow_the_latest_version_then_questions_only_older_versions_had() {
    let plan = Plan::new(&lettings_versions()).unwrap();
    assert_eq!(plan.versions(), &[3, 2, 1]);
    assert_eq!(plan.kind(), Kind::Log);
    assert_eq!(plan.parts().len(), 1);
    let main = &plan.parts()[0];
    assert_eq!(main.meta, LOG_META);
    let ids: Vec<&str> = main.columns.iter().map(|c| c.id.as_str()).collect();
    let la = ids.iter().position(|id| *id == "la").unwrap();
    assert_eq!(ids[la - 1], "property_postcode", "a renamed question keeps its place");
    assert!(ids.contains(&"weekly_rent"));
    assert_eq!(ids.last(), Some(&"is_starter"), "a removed question comes last");
    assert_eq!(ids.iter().filter(|id| **id == "is_starter").count(), 1);
}

#[test]
fn each_column_knows_its_id_in_every_version_through_renames() {
    let plan = Plan::new(&lettings_versions()).unwrap();
    let column = |id: &str| plan.parts()[0].columns.iter().find(|c| c.id == id).unwrap();
    fn ids(c: &Column) -> Vec<Option<&str>> {
        c.sources.iter().map(|s| s.as_deref()).collect()
    }
    assert_eq!(ids(column("la")), vec![Some("la"), Some("local_authority"), Some("la_code")]);
    assert_eq!(ids(column("weekly_rent")), vec![Some("weekly_rent"), Some("weekly_rent"), None]);
    assert_eq!(ids(column("is_starter")), vec![None, None, Some("is_starter")]);
    assert_eq!(ids(column("tenancy_code")), vec![Some("tenancy_code"); 3]);
    assert_eq!(plan.keys(1).unwrap().main.get("la_code"), Some(Target::Column(column_index(&plan, "la"))));
    assert_eq!(plan.keys(3).unwrap().main.get("la_code"), None);
}

fn column_index(plan: &Plan, id: &str) -> usize {
    plan.parts()[0].columns.iter().position(|c| c.id == id).unwrap()
}

#[test]
fn columns_carry_their_type_choices_currency_and_section() {
    let plan = Plan::new(&[load(&example("lettings-log"))]).unwrap();
    let column = |id: &str| plan.parts()[0].columns.iter().find(|c| c.id == id).unwrap();
    let rent_type = column("rent_type");
    assert_eq!(rent_type.value, ValueType::Choice);
    assert_eq!(rent_type.label_of("1"), Some("Affordable rent"));
    assert_eq!(rent_type.choices.len(), 6);
    assert_eq!(column("basic_rent").currency.as_ref().map(|c| c.symbol.as_str()), Some("£"));
    assert_eq!(column("total_charge").value, ValueType::Decimal { places: 10 });
    assert_eq!(column("total_charge").type_name(), "calculated (decimal)");
    assert_eq!(column("bedrooms").section_title, "Property information");
    assert_eq!(column("tenancy_start").value, ValueType::Date);
}

#[test]
fn a_return_has_a_part_for_each_table() {
    let plan = Plan::new(&[load(&example("towns-fund-monitoring"))]).unwrap();
    let parts: Vec<Option<&str>> = plan.parts().iter().map(|p| p.table.as_deref()).collect();
    assert_eq!(parts, vec![None, Some("projects"), Some("spend"), Some("outputs")]);
    assert_eq!(plan.parts()[0].meta, RETURN_META);
    assert_eq!(plan.parts()[2].meta, TABLE_META);
    assert_eq!(plan.parts()[2].title, "Spend to date");
    let percent = &plan.parts()[1].columns[4];
    assert_eq!((percent.id.as_str(), percent.value), ("percent_complete", ValueType::Decimal { places: 0 }));
    assert_eq!(plan.table_part("spend"), Some(2));
    assert_eq!(plan.table_part(""), Some(0), "the main part alone, as a feed writes it");
    assert_eq!(plan.keys(1).unwrap().main.get("spend"), Some(Target::Table(2)));
}

#[test]
fn a_table_column_renamed_in_a_newer_version_is_one_column() {
    let v1 = example("towns-fund-monitoring");
    let v2 = v1.replace("version: 1", "version: 2").replace(
        "{id: amount, label: \"Amount spent\"",
        "{id: spent, renamed_from: amount, label: \"Amount spent\"",
    );
    let v2 = v2.replace("map(r, r.amount)", "map(r, r.spent)").replace("check: amount <=", "check: spent <=");
    let plan = Plan::new(&[load(&v1), load(&v2)]).unwrap();
    let spend = &plan.parts()[2];
    let ids: Vec<&str> = spend.columns.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["project_id", "quarter", "source", "spent"]);
    assert_eq!(plan.keys(1).unwrap().tables[2].get("amount"), Some(3));
}

#[test]
fn versions_must_be_of_one_collection_and_given_once() {
    let lettings = load(&example("lettings-log"));
    let towns = load(&example("towns-fund-monitoring"));
    assert!(matches!(Plan::new(&[]), Err(ExportError::NoVersions)));
    assert!(matches!(
        Plan::new(&[lettings.clone(), lettings.clone()]),
        Err(ExportError::DuplicateVersion(1))
    ));
    let towns2 = load(&example("towns-fund-monitoring").replace("version: 1", "version: 2"));
    assert!(matches!(Plan::new(&[lettings, towns2, towns]), Err(ExportError::MixedCollections(..))));
}

#[test]
fn an_id_taken_by_a_newer_question_gets_its_version_added() {
    // v2 renames `name` (v1) to `title`, and v1 also had a different question `title`.
    let v1 = "formwork: 1\ncollection: c\nversion: 1\ntitle: C\nkind: log\nschedule: {frequency: annual, start: 2026-04-01, due: 30d}\nsections:\n  - id: s\n    title: S\n    questions:\n      - {id: name, label: Name, type: text}\n      - {id: title, label: Old title, type: text}\n";
    let v2 = "formwork: 1\ncollection: c\nversion: 2\ntitle: C\nkind: log\nschedule: {frequency: annual, start: 2026-04-01, due: 30d}\nsections:\n  - id: s\n    title: S\n    questions:\n      - {id: title, label: Title, type: text, renamed_from: name}\n";
    let plan = Plan::new(&[load(v1), load(v2)]).unwrap();
    let columns: Vec<(&str, Vec<Option<&str>>)> = plan.parts()[0]
        .columns
        .iter()
        .map(|c| (c.id.as_str(), c.sources.iter().map(|s| s.as_deref()).collect()))
        .collect();
    assert_eq!(
        columns,
        vec![("title", vec![Some("title"), Some("name")]), ("title_v1", vec![None, Some("title")])]
    );
}
