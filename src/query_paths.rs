//! The collections a Directus query reaches through relational paths, so collection rules hold for reads
//! too: `fields`, `filter`, `deep`, `sort`, `aggregate`, `groupBy` and `alias`.
//!
//! `author.name` in `articles` reaches the author's collection; `author` alone reads only the foreign key.
//! `*` follows every relation of the collection, `item:headings.title` a many-to-any field into
//! `headings`, and `$FOLLOW(collection, field)` a reverse relation.

use crate::js_number::safe_integer;
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
    /// The larger of a limit found so far and another.
    pub fn larger(a: Option<ReadLimit>, b: ReadLimit) -> ReadLimit {
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
    /// Parts of the query the guard cannot read as Directus will (a limit that is not a whole number,
    /// nesting past the walker's depth). A query with any is refused, never judged without them.
    pub unreadable: Vec<String>,
}

pub fn query_reach(relations: &RelationIndex, collection: &str, query: &Map<String, Value>) -> QueryReach {
    let mut walker = Walker { relations, reached: Vec::new(), limit: None, unreadable: Vec::new() };
    walker.query(collection, query, "query", 0);
    QueryReach { reached: walker.reached, limit: walker.limit, unreadable: walker.unreadable }
}

struct Walker<'a> {
    relations: &'a RelationIndex,
    reached: Vec<Reach>,
    limit: Option<ReadLimit>,
    unreadable: Vec<String>,
}

/// One level of a query: its `alias` map (alias → field) and its `deep` map (field key → nested query).
/// Directus resolves a path's first segment through the level's aliases, and a nested level's aliases
/// come from `deep.<field key>._alias`.
#[derive(Clone, Copy, Default)]
struct Level<'q> {
    alias: Option<&'q Map<String, Value>>,
    deep: Option<&'q Map<String, Value>>,
}

impl<'q> Level<'q> {
    fn of(query: &'q Map<String, Value>, alias_key: &str) -> Level<'q> {
        Level {
            alias: query.get(alias_key).and_then(Value::as_object),
            deep: if alias_key == "alias" { query.get("deep").and_then(Value::as_object) } else { Some(query) },
        }
    }

    /// The field names a segment may stand for: itself, and the field it aliases. Both are followed, so a
    /// name that is an alias and a field alike is judged by both.
    fn fields<'s>(&self, field: &'s str) -> Vec<&'s str>
    where
        'q: 's,
    {
        let mut names = vec![field];
        if let Some(target) = self.alias.and_then(|a| a.get(field)).and_then(Value::as_str) {
            if target != field {
                names.push(target);
            }
        }
        names
    }

    /// The level below a segment, from `deep.<segment>` (with its `_alias`).
    fn below(&self, segment: &str) -> Level<'q> {
        match self.deep.and_then(|d| d.get(segment)).and_then(Value::as_object) {
            Some(nested) => Level::of(nested, "_alias"),
            None => Level::default(),
        }
    }
}

impl Walker<'_> {
    fn reach(&mut self, collection: &str, via: String) {
        if !self.reached.iter().any(|r| r.collection == collection) {
            self.reached.push(Reach { collection: collection.to_string(), via });
        }
    }

    /// Nesting past `MAX_DEPTH` is not followed, and so is reported rather than dropped.
    fn too_deep(&mut self, depth: usize, at: &str) -> bool {
        if depth <= MAX_DEPTH {
            return false;
        }
        let why = format!("{at} is nested deeper than {MAX_DEPTH} levels");
        if !self.unreadable.contains(&why) {
            self.unreadable.push(why);
        }
        true
    }

    fn query(&mut self, collection: &str, query: &Map<String, Value>, at: &str, depth: usize) {
        self.query_at(collection, query, Level::of(query, "alias"), at, depth)
    }

    fn query_at(&mut self, collection: &str, query: &Map<String, Value>, level: Level, at: &str, depth: usize) {
        if self.too_deep(depth, at) {
            return;
        }
        for key in ["fields", "sort", "groupBy"] {
            for path in strings(query.get(key)) {
                self.path(collection, path.trim_start_matches('-'), level, at, key);
            }
        }
        if let Some(Value::Object(aggregate)) = query.get("aggregate") {
            for paths in aggregate.values() {
                for path in strings(Some(paths)) {
                    self.path(collection, path, level, at, "aggregate");
                }
            }
        }
        if let Some(Value::Object(alias)) = query.get("alias") {
            for path in alias.values().filter_map(Value::as_str) {
                self.path(collection, path, Level::default(), at, "alias");
            }
        }
        if let Some(filter) = query.get("filter") {
            self.filter(collection, filter, &format!("{at}.filter"), depth);
        }
        match query.get("limit") {
            None | Some(Value::Null) => {}
            Some(value) => match read_limit(value) {
                Ok(limit) => self.limit = Some(ReadLimit::larger(self.limit, limit)),
                Err(why) => self.unreadable.push(format!("{at}: {why}")),
            },
        }
        if let Some(Value::Object(deep)) = query.get("deep") {
            self.deep(collection, deep, level, &format!("{at}.deep"), depth + 1);
        }
    }

    /// A dotted field path, found at `{at}.{key}`: every segment followed by another one opens its related
    /// collection. Where it was found is written out only for what it reaches: most paths reach nothing.
    fn path(&mut self, collection: &str, path: &str, level: Level, at: &str, key: &str) {
        if !path.contains(['.', '(']) {
            return;
        }
        // Directus splits a path at dots outside parentheses (`category_id.json(meta, a.b)`), and some
        // functions wrap a whole path (`year(author.created)` in groupBy): both readings are followed.
        let by_depth: Vec<&str> = split_field_path(path).into_iter().map(strip_function).collect();
        let wrapped: Vec<&str> = strip_function(path).split('.').map(strip_function).collect();
        for segments in [by_depth, wrapped] {
            self.segments(collection, &segments, path, level, at, key);
        }
    }

    fn segments(&mut self, collection: &str, segments: &[&str], path: &str, level: Level, at: &str, key: &str) {
        if let [single] = segments {
            // `count(comments)` counts the related rows: a function over a relational field reads them.
            if *single != path {
                for name in level.fields(single) {
                    for related in self.follow(collection, name) {
                        self.reach(&related, format!("{at}.{key}: {path}"));
                    }
                }
            }
            return;
        }
        let mut here: Vec<String> = vec![collection.to_string()];
        let mut level = level;
        for segment in &segments[..segments.len().saturating_sub(1)] {
            let (field, scope) = match segment.split_once(':') {
                Some((field, scope)) => (field, Some(scope)),
                None => (*segment, None),
            };
            let mut next = Vec::new();
            for c in &here {
                for name in level.fields(field) {
                    let named = scope.map_or(name.to_string(), |s| format!("{name}:{s}"));
                    for related in self.follow(c, &named) {
                        self.reach(&related, format!("{at}.{key}: {path}"));
                        next.push(related);
                    }
                }
            }
            if next.is_empty() {
                return;
            }
            here = next;
            level = level.below(segment);
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
        if self.too_deep(depth, at) {
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
                    } else if strip_function(key) != key.as_str() && follow_reverse(key).is_none() {
                        // `count(comments)` compares a function over the related rows.
                        for related in self.follow(collection, strip_function(key)) {
                            self.reach(&related, format!("{at}: {key}"));
                        }
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

    fn deep(&mut self, collection: &str, deep: &Map<String, Value>, level: Level, at: &str, depth: usize) {
        if self.too_deep(depth, at) {
            return;
        }
        for (key, value) in deep {
            if key.starts_with('_') {
                continue;
            }
            let Value::Object(nested) = value else { continue };
            let (field, scope) = match key.split_once(':') {
                Some((field, scope)) => (field, Some(scope)),
                None => (key.as_str(), None),
            };
            let below = level.below(key);
            for name in level.fields(field) {
                let named = scope.map_or(name.to_string(), |s| format!("{name}:{s}"));
                for related in self.follow(collection, &named) {
                    let here = format!("{at}.{key}");
                    self.reach(&related, here.clone());
                    // `_filter`, `_sort`, `_limit` … are a query on the related rows; other keys go deeper.
                    let as_query: Map<String, Value> = nested
                        .iter()
                        .filter_map(|(k, v)| k.strip_prefix('_').map(|k| (k.to_string(), v.clone())))
                        .filter(|(k, _)| k != "deep")
                        .collect();
                    self.query_at(&related, &as_query, below, &here, depth + 1);
                    let deeper: Map<String, Value> = nested
                        .iter()
                        .filter(|(k, _)| !k.starts_with('_'))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    self.deep(&related, &deeper, below, &here, depth + 1);
                }
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

/// A list of paths given as an array or as comma-separated text. Directus splits text, and array entries
/// that hold commas, at commas outside parentheses (`json(a, b)` is one field), and trims each path; the
/// guard does the same for every list, which for `sort` arrays (not split by Directus) reads more paths
/// than Directus does, never fewer.
fn strings(value: Option<&Value>) -> Vec<&str> {
    let entries: Vec<&str> = match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => return vec![],
    };
    entries.into_iter().flat_map(split_fields).map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// Directus's `splitFieldPath`: dots at parenthesis depth 0 separate a path's segments.
fn split_field_path(path: &str) -> Vec<&str> {
    split_outside_parentheses(path, '.')
}

/// Directus's `splitFields`: commas at parenthesis depth 0 separate fields.
fn split_fields(text: &str) -> Vec<&str> {
    split_outside_parentheses(text, ',')
}

/// `text` cut at every `separator` that no parenthesis encloses (`json(a, b.c)` stays whole).
fn split_outside_parentheses(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + separator.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `limit` as Directus reads it: a JavaScript number, where -1 means every row. A value Directus would not
/// read as a whole number is refused rather than guessed at.
fn read_limit(value: &Value) -> Result<ReadLimit, String> {
    let n = safe_integer(value).map_err(|why| format!("\"limit\": {why}"))?;
    Ok(if n < 0 { ReadLimit::All } else { ReadLimit::Rows(n.unsigned_abs()) })
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

    #[test]
    fn aliases_are_resolved_wherever_directus_resolves_them() {
        // `o` stands for `author`: `o.*` reads the author's collection.
        assert_eq!(reached("articles", json!({"alias": {"o": "author"}, "fields": ["o.*"]})), vec!["directus_users"]);
        assert_eq!(
            reached("articles", json!({"alias": {"o": "author"}, "sort": ["-o.email"]})),
            vec!["directus_users"]
        );
        // A nested level's aliases come from deep.<field key>._alias, keyed by the alias name.
        assert_eq!(
            reached(
                "articles",
                json!({"alias": {"c": "comments"}, "deep": {"c": {"_alias": {"w": "author"}}}, "fields": ["c.w.email"]})
            ),
            vec!["comments", "directus_users"]
        );
        assert_eq!(
            reached(
                "articles",
                json!({"alias": {"c": "comments"}, "deep": {"c": {"_filter": {"author": {"email": {"_eq": "x"}}}}}})
            ),
            vec!["comments", "directus_users"]
        );
        // A name that is an alias and a field alike is followed both ways.
        assert_eq!(
            reached("comments", json!({"alias": {"article": "author"}, "fields": ["article.title"]})),
            vec!["articles", "directus_users"]
        );
    }

    #[test]
    fn what_the_walker_cannot_follow_is_reported_never_dropped() {
        let mut filter = json!({"author": {"email": {"_eq": "x"}}});
        for _ in 0..40 {
            filter = json!({"_and": [filter]});
        }
        let q = json!({"filter": filter});
        let r = query_reach(&index(), "articles", q.as_object().unwrap_or(&Map::new()));
        assert!(r.unreadable.iter().any(|u| u.contains("deeper than")), "{:?}", r.unreadable);
        for bad in [json!(1.5), json!(9007199254740993u64), json!({}), json!("0x1p3")] {
            let q = json!({ "limit": bad });
            let r = query_reach(&index(), "articles", q.as_object().unwrap_or(&Map::new()));
            assert!(!r.unreadable.is_empty(), "{bad}");
        }
    }

    #[test]
    fn limits_are_read_as_javascript_numbers() {
        let limit = |text: &str| {
            let q: Value = serde_json::from_str(text).unwrap_or_default();
            query_reach(&index(), "articles", q.as_object().unwrap_or(&Map::new())).limit
        };
        assert_eq!(limit(r#"{"limit": 1e4}"#), Some(ReadLimit::Rows(10000)));
        assert_eq!(limit(r#"{"limit": -1.0}"#), Some(ReadLimit::All));
        assert_eq!(limit(r#"{"limit": -5}"#), Some(ReadLimit::All));
        assert_eq!(limit(r#"{"limit": 2.0E1}"#), Some(ReadLimit::Rows(20)));
        assert_eq!(limit(r#"{"limit": null}"#), None);
    }

    #[test]
    fn field_lists_are_split_and_trimmed_as_directus_splits_them() {
        assert_eq!(reached("articles", json!({"fields": ["id,comments.body"]})), vec!["comments"]);
        assert_eq!(reached("articles", json!({"fields": [" author.email "]})), vec!["directus_users"]);
        assert_eq!(reached("articles", json!({"sort": "id, -author.email"})), vec!["directus_users"]);
        assert_eq!(reached("articles", json!({"groupBy": ["id,author.email"]})), vec!["directus_users"]);
        assert_eq!(reached("articles", json!({"aggregate": {"count": "id,comments.id"}})), vec!["comments"]);
        // A function over a relational field reads the related rows.
        assert_eq!(reached("articles", json!({"fields": ["count(comments)"]})), vec!["comments"]);
        assert_eq!(reached("articles", json!({"filter": {"count(comments)": {"_gt": 0}}})), vec!["comments"]);
        assert_eq!(reached("articles", json!({"fields": ["author.json(profile, a.b)"]})), vec!["directus_users"]);
        assert_eq!(split_fields("a,json(b, c.d),e"), vec!["a", "json(b, c.d)", "e"]);
    }
}
