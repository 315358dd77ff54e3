//! The book's tables that the Rust code is the source of, generated here and
//! compared with the chapters: a change to the access policy or the error
//! registry that the book does not show fails this test.
//!
//! `SHOPCORE_UPDATE_DOCS=1 cargo test -p shopcore-docs --test book_tables`
//! writes the tables into the chapters instead.

use std::path::{Path, PathBuf};

use shopcore::{authorize, Action, Actor, CustomerId, ErrorCode, ErrorKind, StaffKeyId, StaffRole};

fn chapter(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../src")
        .join(name)
}

/// Checks (or, with `SHOPCORE_UPDATE_DOCS=1`, writes) the block between
/// `<!-- generated: {name} -->` and `<!-- end generated -->` of `path`.
fn sync(path: &Path, name: &str, table: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = format!("<!-- generated: {name} -->\n");
    let end = "<!-- end generated -->";
    let from = text
        .find(&start)
        .unwrap_or_else(|| panic!("{} has no `{}` marker", path.display(), start.trim()))
        + start.len();
    let to = from
        + text[from..]
            .find(end)
            .unwrap_or_else(|| panic!("{}: `{name}` is not closed by `{end}`", path.display()));
    if text[from..to] == *table {
        return;
    }
    if std::env::var_os("SHOPCORE_UPDATE_DOCS").is_some() {
        let updated = format!("{}{table}{}", &text[..from], &text[to..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!(
        "the `{name}` table of {} is not what the code says; run \
         SHOPCORE_UPDATE_DOCS=1 cargo test -p shopcore-docs --test book_tables\n\
         --- in the book ---\n{}\n--- from the code ---\n{table}",
        path.display(),
        &text[from..to]
    );
}

/// Every action against every kind of caller, as `authorize` decides.
fn access_table() -> String {
    let me = CustomerId::new(1).unwrap();
    let other = CustomerId::new(2).unwrap();
    let staff = |role| Actor::Staff {
        key: StaffKeyId::new(1).unwrap(),
        role,
    };
    let callers: [(&str, Actor); 6] = [
        ("anyone", Actor::Anonymous),
        ("the customer it is about", Actor::Customer(me)),
        ("another customer", Actor::Customer(other)),
        ("`support` key", staff(StaffRole::Support)),
        ("`inventory` key", staff(StaffRole::Inventory)),
        ("`admin` key", staff(StaffRole::Admin)),
    ];
    let mut table = String::from("| action |");
    for (caller, ..) in &callers {
        table.push_str(&format!(" {caller} |"));
    }
    table.push_str("\n|---|");
    table.push_str(&":---:|".repeat(callers.len()));
    table.push('\n');
    let mut rows: Vec<(String, Action)> = Vec::new();
    for name in Action::NAMES {
        let action = Action::from_name(name, Some(me)).expect("every name is an action");
        assert_eq!(action.key(), *name);
        match action {
            Action::ReadNotifications(_) => {
                rows.push((format!("`{name}` (one customer's)"), action));
                rows.push((
                    format!("`{name}` (everyone's)"),
                    Action::ReadNotifications(None),
                ));
            }
            _ if action.name() == name.replace('_', " ") => {
                rows.push((format!("`{name}`"), action))
            }
            _ => rows.push((format!("`{name}` ({})", action.name()), action)),
        }
    }
    for (label, action) in rows {
        table.push_str(&format!("| {label} |"));
        for (_, actor) in &callers {
            let mark = match authorize(actor, &action) {
                Ok(()) => "✓",
                Err(refused) if refused.code() == "unauthenticated" => "401",
                Err(_) => "403",
            };
            table.push_str(&format!(" {mark} |"));
        }
        table.push('\n');
    }
    table
}

/// Every error code with its category and meaning.
fn error_table() -> String {
    let mut table = String::from("| code | category | meaning |\n|---|---|---|\n");
    for kind in ErrorKind::ALL {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            kind.code(),
            kind.category().as_str(),
            kind.description().trim().replace('|', "\\|")
        ));
    }
    table
}

#[test]
fn the_access_table_is_the_policy() {
    sync(
        &chapter("access-control.md"),
        "access-table",
        &access_table(),
    );
}

#[test]
fn the_error_table_is_the_registry() {
    sync(&chapter("errors.md"), "error-codes", &error_table());
}

#[test]
fn a_table_that_drifted_is_reported_not_accepted() {
    let dir = std::env::temp_dir().join(format!("shopcore-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("chapter.md");
    std::fs::write(
        &path,
        "intro\n<!-- generated: t -->\n| old |\n<!-- end generated -->\nend\n",
    )
    .unwrap();
    sync(&path, "t", "| old |\n");
    let drifted = std::panic::catch_unwind(|| sync(&path, "t", "| new |\n"));
    if std::env::var_os("SHOPCORE_UPDATE_DOCS").is_none() {
        assert!(drifted.is_err(), "a changed table passed");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
