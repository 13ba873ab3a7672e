//! The layering of `src/`, checked from the code's own `crate::` paths: each
//! top-level module sits in a layer ([`LAYERS`], the README's layout) and
//! imports only from its own layer or those below, and no modules import each
//! other in a circle. A new module must be given a layer here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// From the bottom up.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaves",
        &[
            "app_clients",
            "auth_factors",
            "branding",
            "config",
            "error",
            "identity_providers",
            "input",
            "lambda_config",
            "mfa_config",
            "password",
            "pkce",
            "pools",
            "resource_servers",
            "schema",
            "scope",
            "secrets",
            "srp",
            "store",
            "totp",
        ],
    ),
    (
        "domain",
        &[
            "accounts",
            "challenge",
            "claims",
            "custom_auth",
            "declared",
            "federation",
            "directory",
            "grants",
            "keys",
            "mail",
            "mfa",
            "passkeys",
            "password_verifier",
            "registry",
            "tokens",
            "transfer",
            "triggers",
            "user_auth",
            "verification",
        ],
    ),
    ("shared HTTP", &["csrf", "serve", "signin", "web"]),
    (
        "surfaces",
        &[
            "bench_support",
            "health",
            "hosted_ui",
            "json_api",
            "oauth2",
            "well_known",
        ],
    ),
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
        .unwrap_or_else(|| panic!("module `{module}` has no layer in tests/layering.rs"))
}

/// The top-level module of each `.rs` file under `src/` (tests and the binary left out),
/// and the top-level modules its code outside `#[cfg(test)]` names through `crate::`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let top = relative.split(['/', '.']).next().unwrap().to_owned();
        if ["lib", "main", "tests"].contains(&top.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let named = graph.entry(top.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            // `crate::store::...` or `crate::{store, web::found}`: the first segment of each path.
            let group = match rest.strip_prefix('{') {
                Some(inner) => &inner[..inner.find('}').unwrap_or(inner.len())],
                None => rest,
            };
            for path in group.split(',') {
                let first: String = path
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                // Lowercase names are modules; the crate root's items (UserPool, now) are not layered.
                if first.starts_with(|c: char| c.is_lowercase()) && first != "now" && first != top {
                    named.insert(first);
                }
                if rest.starts_with('{') {
                    continue;
                }
                break;
            }
        }
    }
    graph
}

#[test]
fn modules_import_only_from_their_layer_and_below() {
    let upward: Vec<String> = imports()
        .iter()
        .flat_map(|(module, named)| {
            named
                .iter()
                .filter(|other| layer_of(other) > layer_of(module))
                .map(move |other| {
                    format!(
                        "{module} ({}) imports {other} ({})",
                        LAYERS[layer_of(module)].0,
                        LAYERS[layer_of(other)].0
                    )
                })
        })
        .collect();
    assert!(
        upward.is_empty(),
        "imports from a higher layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let graph = imports();
    // Depth-first search; a module met again while still on the path closes a circle.
    fn visit<'a>(
        module: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(start) = path.iter().position(|m| *m == module) {
            return Some(path[start..].to_vec());
        }
        if !done.insert(module) {
            return None;
        }
        path.push(module);
        for next in graph.get(module).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        let circle = visit(module, &graph, &mut Vec::new(), &mut done);
        assert!(circle.is_none(), "an import circle: {:?}", circle);
    }
}
