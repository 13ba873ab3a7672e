//! The admin console, for members of the `Admin` group: a picker of the
//! server's user pools (the app's own first), and in the chosen pool users with their status
//! and groups (paged, searchable by email), creating a user (the pool mails a
//! temporary password), enabling, disabling and deleting users, group
//! membership, and creating groups. Every change goes through a server function
//! that checks the group again; the page only hides what the server would refuse.

use leptos::prelude::*;

use super::profile::SignInFirst;
use super::{IslandScripts, PageTitle, UserNav};
use crate::api::{
    AuthError, create_group, create_user, delete_user, list_groups, list_pools, list_users,
    reset_second_factors, set_group_membership, set_user_enabled,
};
use crate::directory::{ADMIN_GROUP, DirectoryUser, Group, PoolSummary, UsersPage};
use crate::user::Session;
use crate::{AuthResources, ErrorNotice};

#[component]
pub fn AdminPage() -> impl IntoView {
    let AuthResources { session, pool } = expect_context();
    view! {
        <PageTitle page="Admin console"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                // The console manages a Cognito pool's users, through its API.
                let pool_api = pool.await.is_ok_and(|pool| pool.is_cognito_pool());
                match session.await {
                    Ok(Session::SignedIn(user)) if user.is_admin() && !pool_api => {
                        view! {
                            <UserNav user=user.clone() here="/admin"/>
                            <h1>"Admin console"</h1>
                            <ErrorNotice error=AuthError::NoPool/>
                        }
                            .into_any()
                    }
                    Ok(Session::SignedIn(user)) if user.is_admin() => {
                        view! {
                            <UserNav user=user.clone() here="/admin"/>
                            <Console me=user.sub.clone()/>
                            <IslandScripts/>
                        }
                            .into_any()
                    }
                    Ok(Session::SignedIn(_)) => view! { <NotAnAdmin/> }.into_any(),
                    Ok(_) => view! { <SignInFirst/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NotAnAdmin() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::FORBIDDEN);
    }
    view! {
        <h1>"Not allowed"</h1>
        <p role="alert">{format!("Only members of the {ADMIN_GROUP} group can use the admin console.")}</p>
        <a href="/">"Home"</a>
    }
}

/// One change an administrator asks for.
#[derive(Clone, Debug)]
enum Command {
    CreateUser(String),
    SetEnabled {
        user: DirectoryUser,
        enabled: bool,
    },
    Delete(DirectoryUser),
    ResetSecondFactors(DirectoryUser),
    Membership {
        user: DirectoryUser,
        group: String,
        member: bool,
    },
    CreateGroup(String),
}

impl Command {
    /// Runs the command on the server, in `pool` (the app's own when `None`);
    /// the message says what happened.
    async fn run(self, pool: Option<String>) -> Result<String, AuthError> {
        match self {
            Command::CreateUser(email) => {
                create_user(email.clone(), pool).await?;
                Ok(format!(
                    "Created {email}. They have been mailed a temporary password."
                ))
            }
            Command::SetEnabled { user, enabled } => {
                set_user_enabled(user.username, enabled, pool).await?;
                let state = if enabled { "enabled" } else { "disabled" };
                Ok(format!("{} is {state}.", user.email))
            }
            Command::Delete(user) => {
                delete_user(user.username, pool).await?;
                Ok(format!("Deleted {}.", user.email))
            }
            Command::ResetSecondFactors(user) => {
                reset_second_factors(user.username, pool).await?;
                Ok(format!("{}'s second sign-in step is off.", user.email))
            }
            Command::Membership {
                user,
                group,
                member,
            } => {
                set_group_membership(user.username, group.clone(), member, pool).await?;
                Ok(if member {
                    format!("Added {} to {group}.", user.email)
                } else {
                    format!("Removed {} from {group}.", user.email)
                })
            }
            Command::CreateGroup(name) => {
                create_group(name.clone(), String::new(), pool).await?;
                Ok(format!("Created the group {name}."))
            }
        }
    }
}

/// Destructive commands ask first; in the browser only (the server never runs a click).
fn confirmed(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// The console is a lazy island: it lists, searches and changes users in the browser,
/// with code that only this page loads.
#[island(lazy)]
fn Console(
    /// The administrator's own `sub`: their row offers nothing that would lock them out.
    me: String,
) -> impl IntoView {
    // The pool picked (`None`: the app's own, listed first).
    let pool = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(None::<String>);
    // Bumped after every change, to reload the lists.
    let changes = RwSignal::new(0_u32);
    let pools = Resource::new(|| (), |_| list_pools());
    let users = Resource::new(
        move || (pool.get(), search.get(), page.get(), changes.get()),
        |(pool, search, page, _)| list_users(search, page, pool),
    );
    let groups = Resource::new(
        move || (pool.get(), changes.get()),
        |(pool, _)| list_groups(pool),
    );
    let command = Action::new(|(pool, command): &(Option<String>, Command)| {
        command.clone().run(pool.clone())
    });
    Effect::new(move |_| {
        if command.value().get().is_some() {
            changes.update(|n| *n += 1);
        }
    });
    // A change acts on the pool shown when it was asked for.
    let run = move |c: Command| {
        command.dispatch((pool.get_untracked(), c));
    };

    let typed = RwSignal::new(String::new());
    let new_email = RwSignal::new(String::new());
    let new_group = RwSignal::new(String::new());
    view! {
        <h1>"Admin console"</h1>
        {move || {
            command
                .value()
                .get()
                .map(|outcome| match outcome {
                    Ok(message) => view! { <p class="notice success" role="status">{message}</p> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                })
        }}

        <Transition fallback=|| view! { <p>"Loading user pools…"</p> }>
            {move || Suspend::new(async move {
                match pools.await {
                    Ok(pools) => view! { <PoolPicker pools pool page/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>

        <h2>"Users"</h2>
        <form class="inline" on:submit=move |event| {
            event.prevent_default();
            page.set(None);
            search.set(typed.get());
        }>
            <input type="search" aria-label="Search by email" placeholder="Email starts with…"
                bind:value=typed/>
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p>"Loading users…"</p> }>
            {move || {
                let me = me.clone();
                Suspend::new(async move {
                match (users.await, groups.await) {
                    (Ok(listed), Ok(groups)) => {
                        view! { <UserTable listed groups page run me/> }.into_any()
                    }
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                }
                })
            }}
        </Transition>

        <h2>"Create a user"</h2>
        <form class="inline" on:submit=move |event| {
            event.prevent_default();
            run(Command::CreateUser(new_email.get()));
            new_email.set(String::new());
        }>
            <input type="email" required aria-label="New user's email" placeholder="name@example.com"
                bind:value=new_email/>
            <button type="submit">"Create user"</button>
        </form>

        <h2>"Create a group"</h2>
        <form class="inline" on:submit=move |event| {
            event.prevent_default();
            run(Command::CreateGroup(new_group.get()));
            new_group.set(String::new());
        }>
            <input required aria-label="New group's name" placeholder="Group name" bind:value=new_group/>
            <button type="submit">"Create group"</button>
        </form>
    }
}

/// The pool the console works on: choosing another reloads the lists from its first page.
#[component]
fn PoolPicker(
    pools: Vec<PoolSummary>,
    pool: RwSignal<Option<String>>,
    page: RwSignal<Option<String>>,
) -> impl IntoView {
    let current = pool.get_untracked();
    view! {
        <div class="pool-picker">
            <label for="user-pool">"User pool"</label>
            <select id="user-pool" on:change=move |event| {
                page.set(None);
                pool.set(Some(event_target_value(&event)));
            }>
                {pools
                    .into_iter()
                    .enumerate()
                    .map(|(index, p)| {
                        let selected = current.as_ref().map_or(index == 0, |id| *id == p.id);
                        let label = p.label();
                        view! { <option value=p.id selected=selected>{label}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
fn UserTable(
    listed: UsersPage,
    groups: Vec<Group>,
    page: RwSignal<Option<String>>,
    run: impl Fn(Command) + Copy + Send + Sync + 'static,
    me: String,
) -> impl IntoView {
    let group_names: Vec<String> = groups.into_iter().map(|g| g.name).collect();
    let next_page = listed.next_page.clone();
    view! {
        <table class="users">
            <thead>
                <tr><th>"Email"</th><th>"Status"</th><th>"Second step"</th><th>"Groups"</th><th>"Actions"</th></tr>
            </thead>
            <tbody>
                {listed
                    .users
                    .into_iter()
                    .map(|user| {
                        // The app's pool names users by sub; another pool's users are never "me".
                        let own = user.username == me;
                        view! { <UserRow user groups=group_names.clone() run own/> }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <div class="actions">
            <Show when=move || page.with(Option::is_some)>
                <button on:click=move |_| page.set(None)>"First page"</button>
            </Show>
            {next_page.map(|next| view! {
                <button on:click=move |_| page.set(Some(next.clone()))>"Next page"</button>
            })}
        </div>
    }
}

#[component]
fn UserRow(
    user: DirectoryUser,
    groups: Vec<String>,
    run: impl Fn(Command) + Copy + Send + Sync + 'static,
    /// The administrator's own row: no Delete, Disable or leaving `Admin`.
    own: bool,
) -> impl IntoView {
    let joinable: Vec<String> = groups
        .into_iter()
        .filter(|g| !user.groups.contains(g))
        .collect();
    let chosen = RwSignal::new(joinable.first().cloned().unwrap_or_default());
    let status = if user.enabled {
        user.status_in_words().to_owned()
    } else {
        format!("{} (disabled)", user.status_in_words())
    };
    let select_label = format!("Group for {}", user.email);
    let toggle = {
        let user = user.clone();
        move |_| {
            run(Command::SetEnabled {
                enabled: !user.enabled,
                user: user.clone(),
            })
        }
    };
    let delete = {
        let user = user.clone();
        move |_| {
            if confirmed(&format!("Delete {}? This cannot be undone.", user.email)) {
                run(Command::Delete(user.clone()));
            }
        }
    };
    let reset = {
        let user = user.clone();
        move |_| {
            let question = format!("Turn off {}'s second sign-in step?", user.email);
            if confirmed(&question) {
                run(Command::ResetSecondFactors(user.clone()));
            }
        }
    };
    let add = {
        let user = user.clone();
        move |_| {
            let group = chosen.get();
            if !group.is_empty() {
                run(Command::Membership {
                    user: user.clone(),
                    group,
                    member: true,
                });
            }
        }
    };
    view! {
        <tr aria-label=user.email.clone()>
            <td data-label="Email">{user.email.clone()}</td>
            <td data-label="Status" title=user.status.clone()>{status}</td>
            <td class="mfa" data-label="Second step">{user.mfa_in_words()}</td>
            <td data-label="Groups">
                {user
                    .groups
                    .iter()
                    .map(|group| {
                        let (user, group) = (user.clone(), group.clone());
                        let remove_label = format!("Remove {} from {group}", user.email);
                        let removable = !(own && group == ADMIN_GROUP);
                        let name = group.clone();
                        view! {
                            <span class="chip">
                                {name}
                                {removable.then(|| view! {
                                    <button class="small" aria-label=remove_label on:click=move |_| {
                                        if confirmed(&format!("Remove {} from {group}?", user.email)) {
                                            run(Command::Membership {
                                                user: user.clone(),
                                                group: group.clone(),
                                                member: false,
                                            });
                                        }
                                    }>"×"</button>
                                })}
                            </span>
                        }
                    })
                    .collect_view()}
            </td>
            <td class="row-actions" data-label="Actions">
                {(!joinable.is_empty()).then(|| view! {
                    <select aria-label=select_label bind:value=chosen>
                        {joinable
                            .iter()
                            .map(|g| view! { <option value=g.clone()>{g.clone()}</option> })
                            .collect_view()}
                    </select>
                    <button class="small" on:click=add>"Add to group"</button>
                })}
                {(!own).then(|| view! {
                    <button class="small" on:click=toggle>
                        {if user.enabled { "Disable" } else { "Enable" }}
                    </button>
                })}
                {(!user.mfa.is_empty()).then(|| view! {
                    <button class="small" on:click=reset>"Reset second step"</button>
                })}
                {(!own).then(|| view! {
                    <button class="small danger" on:click=delete>"Delete"</button>
                })}
            </td>
        </tr>
    }
}
