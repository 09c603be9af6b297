//! The collections a Directus query reaches through relational paths, so collection rules hold for reads
//! too: `fields`, `filter`, `deep`, `sort`, `aggregate`, `groupBy` and `alias`.
//!
//! `author.name` in `articles` reaches the author's collection; `author` alone reads only the foreign key.
//! `*` follows every relation of the collection, `item:headings.title` a many-to-any field into
//! `headings`, and `$FOLLOW(collection, field)` a reverse relation.

use crate::relations::{FieldRelation, RelationIndex};
use serde::Serialize;
use serde_json::{Map, Value};

/// Guards against pathological nesting; a real query is a few levels deep.
const MAX_DEPTH: usize = 32;

/// One collection reached, and the query path that reaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    pub collection: String,
    pub via: String,
}

/// The rows a read may return at most: `limit` of the query and of `deep`; `-1` means all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadLimit {
    Rows(u64),
    All,
}

impl ReadLimit {
    fn larger(a: Option<ReadLimit>, b: ReadLimit) -> ReadLimit {
        match (a, b) {
            (Some(ReadLimit::All), _) | (_, ReadLimit::All) => ReadLimit::All,
            (Some(ReadLimit::Rows(x)), ReadLimit::Rows(y)) => ReadLimit::Rows(x.max(y)),
            (None, b) => b,
        }
    }
}

pub struct QueryReach {
    pub reached: Vec<Reach>,
    pub limit: Option<ReadLimit>,
}

pub fn query_reach(relations: &RelationIndex, collection: &str, query: &Map<String, Value>) -> QueryReach {
    let mut walker = Walker { relations, reached: Vec::new(), limit: None };
    walker.query(collection, query, "query", 0);
    QueryReach { reached: walker.reached, limit: walker.limit }
}

struct Walker<'a> {
    relations: &'a RelationIndex,
    reached: Vec<Reach>,
    limit: Option<ReadLimit>,
}

impl Walker<'_> {
    fn reach(&mut self, collection: &str, via: String) {
        if !self.reached.iter().any(|r| r.collection == collection) {
            self.reached.push(Reach { collection: collection.to_string(), via });
        }
    }

    fn query(&mut self, collection: &str, query: &Map<String, Value>, at: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for key in ["fields", "sort", "groupBy"] {
            for path in strings(query.get(key)) {
                self.path(collection, path.trim_start_matches('-'), at, key);
            }
        }
        if let Some(Value::Object(aggregate)) = query.get("aggregate") {
            for paths in aggregate.values() {
                for path in strings(Some(paths)) {
                    self.path(collection, path, at, "aggregate");
                }
            }
        }
        if let Some(Value::Object(alias)) = query.get("alias") {
            for path in alias.values().filter_map(Value::as_str) {
                self.path(collection, path, at, "alias");
            }
        }
        if let Some(filter) = query.get("filter") {
            self.filter(collection, filter, &format!("{at}.filter"), depth);
        }
        if let Some(limit) = query.get("limit").and_then(read_limit) {
            self.limit = Some(ReadLimit::larger(self.limit, limit));
        }
        if let Some(Value::Object(deep)) = query.get("deep") {
            self.deep(collection, deep, &format!("{at}.deep"), depth + 1);
        }
    }

    /// A dotted field path, found at `{at}.{key}`: every segment followed by another one opens its related
    /// collection. Where it was found is written out only for what it reaches: most paths reach nothing.
    fn path(&mut self, collection: &str, path: &str, at: &str, key: &str) {
        let stripped = strip_function(path);
        if !stripped.contains('.') {
            return;
        }
        let segments: Vec<&str> = stripped.split('.').map(strip_function).collect();
        let mut here: Vec<String> = vec![collection.to_string()];
        for segment in &segments[..segments.len().saturating_sub(1)] {
            let mut next = Vec::new();
            for c in &here {
                for related in self.follow(c, segment) {
                    self.reach(&related, format!("{at}.{key}: {path}"));
                    next.push(related);
                }
            }
            if next.is_empty() {
                return;
            }
            here = next;
        }
    }

    /// The collections one path segment leads to from `collection`.
    fn follow(&self, collection: &str, segment: &str) -> Vec<String> {
        let (field, scope) = match segment.split_once(':') {
            Some((field, scope)) => (field, Some(scope)),
            None => (segment, None),
        };
        if field == "*" {
            return self.relations.relations_of(collection).flat_map(targets).collect();
        }
        match (self.relations.field(collection, field), scope) {
            (Some(FieldRelation::ManyToAny { .. }), Some(scope)) => vec![scope.to_string()],
            (Some(relation), _) => targets(relation),
            (None, _) => vec![],
        }
    }

    fn filter(&mut self, collection: &str, filter: &Value, at: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match filter {
            Value::Array(items) => items.iter().for_each(|f| self.filter(collection, f, at, depth + 1)),
            Value::Object(fields) => {
                for (key, value) in fields {
                    if key == "_and" || key == "_or" || key == "_some" || key == "_none" {
                        self.filter(collection, value, at, depth + 1);
                    } else if key.starts_with('_') {
                        // An operator: its operand is a value, not a path.
                    } else if let Some(target) = follow_reverse(key) {
                        self.reach(&target, format!("{at}: {key}"));
                        self.filter(&target, value, at, depth + 1);
                    } else if value
                        .as_object()
                        .is_some_and(|o| o.keys().any(|k| !k.starts_with('_') || is_quantifier(k)))
                    {
                        // A relational key with a nested object compares fields of the related rows.
                        for related in self.follow(collection, key) {
                            self.reach(&related, format!("{at}: {key}"));
                            self.filter(&related, value, at, depth + 1);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn deep(&mut self, collection: &str, deep: &Map<String, Value>, at: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for (key, value) in deep {
            if key.starts_with('_') {
                continue;
            }
            let Value::Object(nested) = value else { continue };
            for related in self.follow(collection, key) {
                let here = format!("{at}.{key}");
                self.reach(&related, here.clone());
                // `_filter`, `_sort`, `_limit` … are a query on the related rows; other keys go deeper.
                let as_query: Map<String, Value> = nested
                    .iter()
                    .filter_map(|(k, v)| k.strip_prefix('_').map(|k| (k.to_string(), v.clone())))
                    .filter(|(k, _)| k != "deep")
                    .collect();
                self.query(&related, &as_query, &here, depth + 1);
                let deeper: Map<String, Value> =
                    nested.iter().filter(|(k, _)| !k.starts_with('_')).map(|(k, v)| (k.clone(), v.clone())).collect();
                self.deep(&related, &deeper, &here, depth + 1);
            }
        }
    }
}

fn is_quantifier(key: &str) -> bool {
    matches!(key, "_some" | "_none" | "_and" | "_or")
}

fn targets(relation: &FieldRelation) -> Vec<String> {
    match relation {
        FieldRelation::ManyToOne { related } => vec![related.clone()],
        FieldRelation::OneToMany { many, .. } => vec![many.clone()],
        FieldRelation::ManyToAny { allowed, .. } if allowed.is_empty() => vec!["*".to_string()],
        FieldRelation::ManyToAny { allowed, .. } => allowed.clone(),
    }
}

/// `$FOLLOW(collection, field)`: a filter on rows of `collection` that point back here.
fn follow_reverse(key: &str) -> Option<String> {
    let inner = key.strip_prefix("$FOLLOW(")?.strip_suffix(')')?;
    Some(inner.split(',').next()?.trim().to_string())
}

/// `year(date_created)` → `date_created`; `count(comments)` → `comments`.
fn strip_function(segment: &str) -> &str {
    match (segment.find('('), segment.ends_with(')')) {
        (Some(open), true) => &segment[open + 1..segment.len() - 1],
        _ => segment,
    }
}

/// A list of paths given as an array or as comma-separated text.
fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

fn read_limit(value: &Value) -> Option<ReadLimit> {
    let n = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    Some(if n < 0 { ReadLimit::All } else { ReadLimit::Rows(n as u64) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relations::SchemaFacts;
    use serde_json::json;

    fn index() -> RelationIndex {
        let facts: SchemaFacts = serde_json::from_value(json!({
            "relations": [
                {"collection": "articles", "field": "author", "related_collection": "directus_users"},
                {"collection": "comments", "field": "article", "related_collection": "articles", "one_field": "comments"},
                {"collection": "comments", "field": "author", "related_collection": "directus_users"},
                {"collection": "articles_blocks", "field": "item", "related_collection": null,
                 "one_collection_field": "collection", "one_allowed_collections": ["headings", "texts"]}
            ]
        }))
        .unwrap_or_default();
        RelationIndex::new(facts)
    }

    fn reached(collection: &str, query: Value) -> Vec<String> {
        let q = query.as_object().cloned().unwrap_or_default();
        let mut r: Vec<String> =
            query_reach(&index(), collection, &q).reached.into_iter().map(|r| r.collection).collect();
        r.sort();
        r
    }

    #[test]
    fn field_paths_reach_related_collections_only_when_followed() {
        assert_eq!(reached("articles", json!({"fields": ["id", "author"]})), Vec::<String>::new());
        assert_eq!(reached("articles", json!({"fields": ["author.email"]})), vec!["directus_users"]);
        assert_eq!(
            reached("articles", json!({"fields": "id,comments.author.email"})),
            vec!["comments", "directus_users"]
        );
        assert_eq!(reached("articles", json!({"fields": ["*.*"]})), vec!["comments", "directus_users"]);
        assert_eq!(reached("articles_blocks", json!({"fields": ["item:headings.title"]})), vec!["headings"]);
        assert_eq!(reached("articles_blocks", json!({"fields": ["item.*"]})), vec!["headings", "texts"]);
    }

    #[test]
    fn filters_sorts_aggregates_groups_aliases_and_deep_reach_too() {
        assert_eq!(reached("articles", json!({"filter": {"author": {"email": {"_eq": "x"}}}})), vec!["directus_users"]);
        assert_eq!(reached("articles", json!({"filter": {"author": {"_eq": "u1"}}})), Vec::<String>::new());
        assert_eq!(
            reached(
                "articles",
                json!({"filter": {"_and": [{"comments": {"_some": {"author": {"id": {"_null": true}}}}}]}})
            ),
            vec!["comments", "directus_users"]
        );
        assert_eq!(
            reached("directus_users", json!({"filter": {"$FOLLOW(articles, author)": {"_nnull": true}}})),
            vec!["articles"]
        );
        assert_eq!(reached("articles", json!({"sort": ["-author.last_name"]})), vec!["directus_users"]);
        assert_eq!(reached("articles", json!({"aggregate": {"count": ["comments.id"]}})), vec!["comments"]);
        assert_eq!(reached("articles", json!({"groupBy": ["year(author.last_access)"]})), vec!["directus_users"]);
        assert_eq!(reached("articles", json!({"alias": {"who": "author.email"}})), vec!["directus_users"]);
        assert_eq!(
            reached("articles", json!({"deep": {"comments": {"_filter": {"author": {"email": {"_eq": "x"}}}}}})),
            vec!["comments", "directus_users"]
        );
    }

    #[test]
    fn the_largest_limit_counts_and_minus_one_means_all() {
        let q = json!({"limit": 10, "deep": {"comments": {"_limit": 50}}});
        assert_eq!(
            query_reach(&index(), "articles", q.as_object().unwrap_or(&Map::new())).limit,
            Some(ReadLimit::Rows(50))
        );
        let q = json!({"limit": "-1"});
        assert_eq!(query_reach(&index(), "articles", q.as_object().unwrap_or(&Map::new())).limit, Some(ReadLimit::All));
    }
}
