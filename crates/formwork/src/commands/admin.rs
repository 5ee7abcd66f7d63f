//! `formwork admin …`: set up organisations, people, tokens and collections from the command line
//! (the first service admin, scripted onboarding). Each runs the same operation as the pages and
//! the API, as formwork itself.
//!
//! Exit status: 0 done, 1 refused (what was asked has problems), 2 cannot run.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use formwork_service::organisations::OrganisationInput;
use formwork_service::people::NewPerson;
use formwork_service::{Actor, App, ServiceError, Settings, collections, organisations, people, tokens};
use formwork_store::Clock;

use crate::commands::boot;
use crate::config::DatabaseArgs;

/// What `formwork admin` does.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Add an organisation; prints its slug.
    CreateOrganisation {
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its slug (made from the name when not given).
        #[arg(long)]
        slug: Option<String>,
    },
    /// Add a person.
    CreateUser {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// Their name.
        #[arg(long)]
        name: Option<String>,
        /// Read a password from standard input (its first line).
        #[arg(long)]
        password_stdin: bool,
        /// Make them staff: reviewer, analyst or admin.
        #[arg(long, value_parser = ["reviewer", "analyst", "admin"])]
        staff: Option<String>,
    },
    /// Give a person with an account roles in an organisation (replacing roles they had there),
    /// at once: the one way to add a member without an invitation (the pages and the API invite).
    AddMember {
        /// The person's email address.
        #[arg(long)]
        email: String,
        /// The organisation's slug.
        #[arg(long)]
        organisation: String,
        /// Roles, separated by commas: the collections' roles and org_admin.
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
    },
    /// Make an API token for a person; prints only the token.
    CreateToken {
        /// The person's email address.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "made with formwork admin")]
        name: String,
    },
    /// Publish a definition file (refused, with its problems, if `formwork check` finds any).
    Publish {
        /// The definition (YAML or JSON).
        definition: PathBuf,
    },
    /// Assign an organisation to a collection.
    Assign {
        /// The collection's slug.
        #[arg(long)]
        collection: String,
        /// The organisation's slug.
        #[arg(long)]
        organisation: String,
    },
}

/// Run `formwork admin COMMAND`.
pub fn run(database: &DatabaseArgs, command: &AdminCommand) -> anyhow::Result<ExitCode> {
    boot::logging(database.log_format);
    boot::runtime()?.block_on(async {
        let store = boot::database(database).await?;
        let app = App::new(store.clone(), Clock::system(), Settings::default());
        let outcome = admin(&app, command).await;
        store.close().await;
        match outcome {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(Refused::Service(e)) => {
                refused(&e);
                Ok(ExitCode::from(match e {
                    ServiceError::Unavailable(_) | ServiceError::Internal(_) => 2,
                    _ => 1,
                }))
            }
            Err(Refused::Reported) => Ok(ExitCode::from(1)),
            Err(Refused::Other(e)) => Err(e),
        }
    })
}

enum Refused {
    /// Refused by the operation: say why, exit 1 (2 when the database failed).
    Service(ServiceError),
    /// Refused, and the reasons already printed: exit 1.
    Reported,
    /// Could not run: exit 2.
    Other(anyhow::Error),
}

impl From<ServiceError> for Refused {
    fn from(e: ServiceError) -> Refused {
        Refused::Service(e)
    }
}

impl From<anyhow::Error> for Refused {
    fn from(e: anyhow::Error) -> Refused {
        Refused::Other(e)
    }
}

fn refused(e: &ServiceError) {
    match e {
        ServiceError::Invalid(problems) => {
            for p in problems {
                eprintln!("formwork: {}: {}", p.field, p.message);
            }
        }
        ServiceError::DefinitionRefused { rendered, .. } => {
            eprint!("{rendered}");
            eprintln!("formwork: {e}");
        }
        // An operator at the command line is shown the cause of a fault, as the log would be.
        ServiceError::Unavailable(_) | ServiceError::Internal(_) => eprintln!("formwork: {}", e.log_text()),
        other => eprintln!("formwork: {other}"),
    }
}

async fn admin(app: &App, command: &AdminCommand) -> Result<(), Refused> {
    let system = Actor::System;
    match command {
        AdminCommand::CreateOrganisation { name, slug } => {
            let input =
                OrganisationInput { name: name.clone(), slug: slug.clone(), ..OrganisationInput::default() };
            let organisation = organisations::create(app, &system, &input).await?;
            println!("{}", organisation.slug);
        }
        AdminCommand::CreateUser { email, name, password_stdin, staff } => {
            let password = if *password_stdin {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("cannot read the password from standard input")?;
                Some(text.lines().next().unwrap_or("").to_string())
            } else {
                None
            };
            let new =
                NewPerson { email: email.clone(), name: name.clone(), password, staff_role: staff.clone() };
            let user = people::create(app, &system, &new).await?;
            println!(
                "added {}{}",
                user.email,
                user.staff_role.map(|r| format!(" ({r})")).unwrap_or_default()
            );
        }
        AdminCommand::AddMember { email, organisation, roles } => {
            let membership = organisations::add_member(app, &system, organisation, email, roles).await?;
            println!(
                "{} is a member of {} as {}",
                membership.email,
                membership.organisation_slug,
                membership.roles.join(", ")
            );
        }
        AdminCommand::CreateToken { email, name } => {
            let (_, secret) = tokens::create_for(app, &system, email, name).await?;
            println!("{secret}");
        }
        AdminCommand::Publish { definition } => {
            let bytes =
                std::fs::read(definition).with_context(|| format!("cannot read {}", definition.display()))?;
            match collections::publish(app, &system, &bytes).await {
                Ok(published) => println!(
                    "published {} version {}: {}",
                    published.slug, published.version, published.title
                ),
                Err(ServiceError::DefinitionRefused { diagnostics, .. }) => {
                    let text = String::from_utf8_lossy(&bytes);
                    eprint!(
                        "{}",
                        formwork_definition::diagnostic::render(
                            &definition.display().to_string(),
                            &text,
                            &diagnostics
                        )
                    );
                    let n = diagnostics.len();
                    eprintln!(
                        "formwork: {} has {n} problem{}; nothing was published",
                        definition.display(),
                        if n == 1 { "" } else { "s" }
                    );
                    return Err(Refused::Reported);
                }
                Err(e) => return Err(e.into()),
            }
        }
        AdminCommand::Assign { collection, organisation } => {
            collections::assign(app, &system, collection, organisation).await?;
            println!("{organisation} is assigned to {collection}");
        }
    }
    Ok(())
}
