//! The relational facts of a Directus schema that decide what a nested payload does.
//!
//! The JS side copies them from `req.schema` (only when the schema changes); the core indexes them by
//! `(collection, field)`.

use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// What Directus does to related rows that a payload removes from an O2M field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DeselectAction {
    /// The foreign key is set to null: the row survives.
    #[default]
    Nullify,
    /// The row is deleted.
    Delete,
}

/// One row of `schema.relations`, flattened: `collection.field` (the many side) points at `related_collection`.
#[derive(Debug, Clone, Deserialize)]
pub struct RelationFact {
    pub collection: String,
    pub field: String,
    #[serde(default)]
    pub related_collection: Option<String>,
    #[serde(default)]
    pub one_field: Option<String>,
    #[serde(default)]
    pub one_collection_field: Option<String>,
    #[serde(default)]
    pub one_deselect_action: DeselectAction,
    /// Many-to-any: the collections the field may point into.
    #[serde(default)]
    pub one_allowed_collections: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SchemaFacts {
    /// Primary key field of each collection.
    #[serde(default)]
    pub primary_keys: HashMap<String, String>,
    #[serde(default)]
    pub relations: Vec<RelationFact>,
    /// Collections holding a single row, which `create` upserts.
    #[serde(default)]
    pub singletons: Vec<String>,
}

/// How a field of a collection relates to other rows.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldRelation {
    /// The field holds one related row of `related`.
    ManyToOne { related: String },
    /// The field holds one related row of the collection named in the sibling field `collection_field`,
    /// one of `allowed`.
    ManyToAny { collection_field: String, allowed: Vec<String> },
    /// An alias field listing the rows of `many` whose foreign key points back here.
    OneToMany { many: String, deselect: DeselectAction },
}

#[derive(Debug, Clone, Default)]
pub struct RelationIndex {
    /// Collection → field → relation, so a lookup borrows its names (the answer filter asks once per key).
    /// FxHash: the keys are the schema's names, set by admins; an answer's names are only looked up.
    fields: FxHashMap<String, FxHashMap<String, FieldRelation>>,
    primary_keys: FxHashMap<String, String>,
    singletons: HashSet<String>,
}

impl RelationIndex {
    pub fn new(facts: SchemaFacts) -> RelationIndex {
        let mut fields: FxHashMap<String, FxHashMap<String, FieldRelation>> = FxHashMap::default();
        let mut insert = |collection: &str, field: &str, relation: FieldRelation| {
            fields.entry(collection.to_string()).or_default().insert(field.to_string(), relation);
        };
        for r in facts.relations {
            match (&r.related_collection, &r.one_collection_field) {
                (Some(related), _) => {
                    insert(&r.collection, &r.field, FieldRelation::ManyToOne { related: related.clone() });
                    if let Some(one_field) = &r.one_field {
                        insert(
                            related,
                            one_field,
                            FieldRelation::OneToMany { many: r.collection.clone(), deselect: r.one_deselect_action },
                        );
                    }
                }
                (None, Some(collection_field)) => {
                    insert(
                        &r.collection,
                        &r.field,
                        FieldRelation::ManyToAny {
                            collection_field: collection_field.clone(),
                            allowed: r.one_allowed_collections.clone(),
                        },
                    );
                }
                (None, None) => {}
            }
        }
        RelationIndex {
            fields,
            primary_keys: facts.primary_keys.into_iter().collect(),
            singletons: facts.singletons.into_iter().collect(),
        }
    }

    pub fn field(&self, collection: &str, field: &str) -> Option<&FieldRelation> {
        self.fields.get(collection)?.get(field)
    }

    /// Every relational field of a collection (for `*` in query paths).
    pub fn relations_of<'a>(&'a self, collection: &'a str) -> impl Iterator<Item = &'a FieldRelation> + 'a {
        self.fields.get(collection).into_iter().flat_map(FxHashMap::values)
    }

    /// Every collection of the schema.
    pub fn collections(&self) -> impl Iterator<Item = &String> {
        self.primary_keys.keys()
    }

    pub fn is_singleton(&self, collection: &str) -> bool {
        self.singletons.contains(collection)
    }

    /// Directus's default primary key name when the schema does not say.
    pub fn primary_key(&self, collection: &str) -> &str {
        self.primary_keys.get(collection).map(String::as_str).unwrap_or("id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indexes_both_sides_of_a_relation() {
        let facts: SchemaFacts = serde_json::from_value(json!({
            "primary_keys": {"articles": "id", "comments": "cid"},
            "relations": [
                {"collection": "comments", "field": "article", "related_collection": "articles", "one_field": "comments", "one_deselect_action": "delete"},
                {"collection": "blocks_junction", "field": "item", "related_collection": null, "one_collection_field": "collection"}
            ]
        }))
        .unwrap();
        let idx = RelationIndex::new(facts);
        assert_eq!(idx.field("comments", "article"), Some(&FieldRelation::ManyToOne { related: "articles".into() }));
        assert_eq!(
            idx.field("articles", "comments"),
            Some(&FieldRelation::OneToMany { many: "comments".into(), deselect: DeselectAction::Delete })
        );
        assert_eq!(
            idx.field("blocks_junction", "item"),
            Some(&FieldRelation::ManyToAny { collection_field: "collection".into(), allowed: vec![] })
        );
        assert_eq!(idx.primary_key("comments"), "cid");
        assert_eq!(idx.primary_key("unknown"), "id");
    }
}
