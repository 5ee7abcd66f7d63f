//! Every email about a return, written once each, in GOV.UK style: plain text, what happened, what
//! to do next, the reference where there is one, and a link. Each is a pure function of what it
//! says, so each is snapshot-tested; the lifecycle enqueues them as `send_email` jobs in the same
//! transaction as the change they report. `docs/emails.md` lists them.

use formwork_mail::Email;

/// What every email about a return names.
#[derive(Clone, Debug)]
pub struct About<'a> {
    /// The service's name, e.g. "Towns Fund returns".
    pub service: &'a str,
    /// The organisation's name.
    pub organisation: &'a str,
    /// The collection's title.
    pub collection: &'a str,
    /// The period's label, e.g. "April to June 2026".
    pub period: &'a str,
    /// The link to the return.
    pub link: &'a str,
}

impl About<'_> {
    /// "Towns Fund monitoring return for July to September 2026" (no "return return").
    fn name(&self) -> String {
        if self.collection.to_lowercase().ends_with("return") {
            format!("{} for {}", self.collection, self.period)
        } else {
            format!("{} return for {}", self.collection, self.period)
        }
    }

    /// "Northshire Council's Towns Fund monitoring return for July to September 2026".
    fn whose(&self) -> String {
        format!("{}'s {}", self.organisation, self.name())
    }

    fn email(&self, to: &str, subject: String, body: String) -> Email {
        Email {
            to: to.to_string(),
            subject,
            body: format!("{body}\n\n{}\n\nThis email was sent by {}.\n", self.link, self.service),
        }
    }
}

/// An upload that took more than a minute has finished: to the person who uploaded it.
pub fn upload_finished(
    service: &str,
    to: &str,
    file_name: &str,
    state: formwork_store::uploads::UploadState,
    stored: i64,
    errors: i64,
    link: &str,
) -> Email {
    use formwork_store::uploads::UploadState as S;
    let (subject, body) = match state {
        S::Stored => (
            format!("Upload stored: {file_name}"),
            format!(
                "Your file {file_name} has been checked and stored: {stored} {}.",
                plural(stored, "row", "rows")
            ),
        ),
        S::Confirm => (
            format!("Upload checked, warnings to confirm: {file_name}"),
            format!(
                "Your file {file_name} has no errors, but it has warnings. Nothing is stored until you confirm them or upload a corrected file."
            ),
        ),
        _ => (
            format!("Upload has errors: {file_name}"),
            format!(
                "Your file {file_name} has {errors} {}, so nothing in it was stored. See each error at its row and column, download the file with the errors marked, and upload a corrected file.",
                plural(errors, "error", "errors")
            ),
        ),
    };
    Email {
        to: to.to_string(),
        subject,
        body: format!("{body}\n\n{link}\n\nThis email was sent by {service}.\n"),
    }
}

fn plural(n: i64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// A return is ready for a sign-off step: to the people who hold the step's role.
pub fn ready_for_sign_off(about: &About<'_>, to: &str, step: usize, steps: usize, role: &str) -> Email {
    let which = if steps > 1 { format!(" (step {} of {steps})", step + 1) } else { String::new() };
    about.email(
        to,
        format!("Ready for you to sign off: {}", about.name()),
        format!(
            "{} is ready to be signed off by someone with the {} role{which}.\n\n\
             Read the whole return and, if it is right, sign it off:",
            about.whose(),
            words(role),
        ),
    )
}

/// Someone changed a return after it was signed: to each person who had signed it.
pub fn sign_offs_cleared(about: &About<'_>, to: &str, changed_by: &str) -> Email {
    about.email(
        to,
        format!("Your sign-off has been cleared: {}", about.name()),
        format!(
            "{changed_by} changed {} after you signed it off, so your sign-off has been cleared.\n\n\
             The return must be signed off again before it can be submitted. Read it again here:",
            about.whose(),
        ),
    )
}

/// A return was submitted: to the organisation's people who fill in and sign off the collection.
pub fn submitted(about: &About<'_>, to: &str, reference: &str) -> Email {
    about.email(
        to,
        format!("Return submitted: {reference}"),
        format!(
            "{} has been submitted.\n\n\
             Your reference is {reference}. Quote it if you contact us about this return.\n\n\
             A reviewer will check it. We will email you if anything needs changing. You can see it here:",
            about.whose(),
        ),
    )
}

/// A reviewer sent a return back: to the organisation's people, with the comments.
pub fn returned(about: &About<'_>, to: &str, reference: &str, comments: &[(String, String)]) -> Email {
    let listed: Vec<String> =
        comments.iter().map(|(section, comment)| format!("{section}:\n{comment}")).collect();
    about.email(
        to,
        format!("Changes needed: {reference}"),
        format!(
            "A reviewer has sent {} back for changes (reference {reference}).\n\n\
             {}\n\n\
             Make the changes, then sign off and submit the return again:",
            about.whose(),
            listed.join("\n\n"),
        ),
    )
}

/// A reviewer accepted a return.
pub fn accepted(about: &About<'_>, to: &str, reference: &str) -> Email {
    about.email(
        to,
        format!("Return accepted: {reference}"),
        format!(
            "{} (reference {reference}) has been accepted. You do not need to do anything else.\n\n\
             You can see it here:",
            about.whose(),
        ),
    )
}

/// Staff reopened an accepted return.
pub fn reopened(about: &About<'_>, to: &str, reference: &str, reason: &str) -> Email {
    about.email(
        to,
        format!("Return reopened: {reference}"),
        format!(
            "{} (reference {reference}) has been reopened.\n\nThe reason given:\n{reason}\n\n\
             Make any changes needed, then sign off and submit the return again:",
            about.whose(),
        ),
    )
}

/// A reminder before a return is due.
pub fn reminder(about: &About<'_>, to: &str, due: &str, days: u32) -> Email {
    let when = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        n => format!("in {n} days"),
    };
    about.email(
        to,
        format!("Reminder: {} is due {when}", about.name()),
        format!(
            "{} is due {when}, on {due}. It has not been submitted yet.\n\n\
             Fill it in, sign it off and submit it here:",
            about.whose(),
        ),
    )
}

/// The day after a return's due date, when it has not been submitted.
pub fn overdue(about: &About<'_>, to: &str, due: &str) -> Email {
    about.email(
        to,
        format!("Overdue: {}", about.name()),
        format!(
            "{} was due on {due} and has not been submitted.\n\n\
             Submit it as soon as you can. If you cannot, reply to tell us why. The return is here:",
            about.whose(),
        ),
    )
}

/// A role as words: `finance_lead` → "finance lead".
pub fn words(role: &str) -> String {
    role.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about() -> About<'static> {
        About {
            service: "Towns Fund returns",
            organisation: "Northshire Council",
            collection: "Towns Fund monitoring",
            period: "April to June 2026",
            link: "https://returns.example.gov.uk/returns/0193",
        }
    }

    fn shown(email: &Email) -> String {
        format!("To: {}\nSubject: {}\n\n{}", email.to, email.subject, email.body)
    }

    #[test]
    fn each_email_reads_as_written() {
        let a = about();
        let to = "someone@northshire.example";
        let comments = vec![
            ("Spend to date".to_string(), "Row 3 is for the wrong quarter.".to_string()),
            ("Evidence".to_string(), "Attach the signed minutes.".to_string()),
        ];
        insta::assert_snapshot!("ready_for_sign_off", shown(&ready_for_sign_off(&a, to, 1, 2, "auditee")));
        insta::assert_snapshot!("sign_offs_cleared", shown(&sign_offs_cleared(&a, to, "Priya Shah")));
        insta::assert_snapshot!("submitted", shown(&submitted(&a, to, "TFM-2026Q1-7K3P")));
        insta::assert_snapshot!("returned", shown(&returned(&a, to, "TFM-2026Q1-7K3P", &comments)));
        insta::assert_snapshot!("accepted", shown(&accepted(&a, to, "TFM-2026Q1-7K3P")));
        insta::assert_snapshot!(
            "reopened",
            shown(&reopened(&a, to, "TFM-2026Q1-7K3P", "The spend figures were revised."))
        );
        insta::assert_snapshot!("reminder", shown(&reminder(&a, to, "30 July 2026", 14)));
        insta::assert_snapshot!("overdue", shown(&overdue(&a, to, "30 July 2026")));
    }

    #[test]
    fn an_upload_that_took_a_while_says_how_it_ended() {
        use formwork_store::uploads::UploadState;
        let link = "https://returns.example/uploads/0193";
        let to = "provider@riverside.example";
        let email = |state, stored, errors| {
            shown(&upload_finished("Lettings", to, "lettings-2026.csv", state, stored, errors, link))
        };
        insta::assert_snapshot!("upload_stored", email(UploadState::Stored, 100_000, 0));
        insta::assert_snapshot!("upload_failed", email(UploadState::Failed, 0, 1_204));
        insta::assert_snapshot!("upload_confirm", email(UploadState::Confirm, 0, 0));
    }

    #[test]
    fn a_reminder_says_tomorrow_and_today_in_words() {
        assert!(reminder(&about(), "x@y.z", "1 May", 1).subject.ends_with("is due tomorrow"));
        assert!(reminder(&about(), "x@y.z", "1 May", 0).subject.ends_with("is due today"));
    }
}
