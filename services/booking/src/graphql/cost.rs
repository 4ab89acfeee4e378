//! What a GraphQL request may cost, decided before it runs (ADR 0503).
//!
//! async-graphql's own complexity limit counts each field of the document once, so 30
//! aliases of `showtimes { seatMap { … } }` looked like 30 small fields while the answer held
//! 30 × every showtime × every seat. Here a field costs one for every time it can appear in
//! the answer: a list multiplies what it contains by the most items it can return (what the
//! resolvers and the cinema service actually bound it to), every alias and fragment spread is
//! counted where it is used, and every operation of the document counts.
//!
//! The model is a pure function of the parsed document and the schema's SDL; variables do not
//! enter into it because no list in the schema takes its size from an argument.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
    ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{Positioned, parse_schema};

/// The most seats one auditorium has (the cinema service's `layout::MAX_SEATS`); every row
/// has at least one seat, so it bounds the rows of a seat map too.
pub const MAX_SEATS_PER_MAP: u64 = 2_000;
/// `ListShowtimes` answers at most this many (the cinema store's `LIMIT`).
pub const MAX_SHOWTIMES: u64 = 1_000;
/// A list the table below does not know: costed as if this long. A unit test makes sure no
/// list of the schema falls back to it.
const UNKNOWN_LIST: u64 = 1_000;

/// How many items a list field can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// At most this many per parent object.
    Each(u64),
    /// At most this many in one seat map, across all its rows (a row's seats: the rows of a
    /// map hold at most [`MAX_SEATS_PER_MAP`] seats between them, not that many each).
    PerSeatMap(u64),
}

/// The largest answer each list field can give, by (parent type, field).
///
/// The cinema service bounds showtimes and seat maps; the catalog lists (movies, cinemas) and
/// a customer's bookings have no hard cap there, so these are estimates well above any real
/// catalog (a chain with 500 films on screen at once) — the answer-size cap
/// (`max_answer_bytes`) catches what an estimate misses.
fn list_bound(parent: &str, field: &str, max_seats_per_booking: u64) -> Option<Bound> {
    use Bound::{Each, PerSeatMap};
    Some(match (parent, field) {
        (_, "showtimes") => Each(MAX_SHOWTIMES),
        ("Query", "movies") => Each(500),
        ("Query", "cinemas") => Each(100),
        ("Query", "myBookings") => Each(200),
        // By email: the newest 50; by id or ticket code: one.
        ("Query", "findBookings") => Each(50),
        ("Movie", "genres") => Each(20),
        ("SeatMap", "rows") => Each(MAX_SEATS_PER_MAP),
        ("SeatRow", "seats" | "gapsAfter") => PerSeatMap(MAX_SEATS_PER_MAP),
        ("Booking", "seats" | "tickets" | "checkIns") => Each(max_seats_per_booking),
        // A saga writes a few lines per step; a booking paid after several declined cards
        // has a few dozen.
        ("Booking", "history") => Each(100),
        ("Booking", "payments") => Each(20),
        _ => return None,
    })
}

/// The introspection types are not in the exported SDL; their lists are bounded by the size
/// of the schema itself (counted in [`CostModel::new`]).
const INTROSPECTION_SDL: &str = r#"
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type
  subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: String! name: String description: String specifiedByURL: String
  fields: [__Field!] interfaces: [__Type!] possibleTypes: [__Type!] enumValues: [__EnumValue!]
  inputFields: [__InputValue!] ofType: __Type isOneOf: Boolean }
type __Field { name: String! description: String args: [__InputValue!]! type: __Type!
  isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String
  isDeprecated: Boolean! deprecationReason: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean!
  deprecationReason: String }
type __Directive { name: String! description: String locations: [String!]!
  args: [__InputValue!]! isRepeatable: Boolean }
"#;

#[derive(Debug, Clone)]
struct FieldType {
    /// The named type at the bottom of any list and non-null wrappers.
    named: String,
    is_list: bool,
}

/// Why a document has no cost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    /// Validation refuses cycles too; the cost walk meets them first and must not loop.
    #[error("the fragment {0} spreads itself")]
    FragmentCycle(String),
    #[error("the schema could not be read: {0}")]
    Schema(String),
}

/// The cost of a selection per instance of its type: `own` is multiplied by every enclosing
/// list, `per_map` (the items of per-seat-map lists) only by the enclosing seat maps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Part {
    own: u64,
    per_map: u64,
    /// How deeply fields nest in it (a leaf field is 1).
    depth: usize,
}

impl Part {
    fn add(self, other: Part) -> Part {
        Part {
            own: self.own.saturating_add(other.own),
            per_map: self.per_map.saturating_add(other.per_map),
            depth: self.depth.max(other.depth),
        }
    }
}

/// What a document costs, and how deeply its fields nest (so a document that is both too
/// deep and too costly is told about the depth, as before the cost model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub cost: u64,
    pub depth: usize,
}

/// The schema's shape, read once at start-up, and the bounds of its lists.
#[derive(Debug, Clone)]
pub struct CostModel {
    types: HashMap<String, HashMap<String, FieldType>>,
    query: String,
    mutation: String,
    subscription: String,
    max_seats_per_booking: u64,
    /// Introspection list bounds, from the size of this schema.
    schema_types: u64,
    widest_type: u64,
    most_args: u64,
}

impl CostModel {
    /// `sdl` is the schema's own (`Schema::sdl()`).
    pub fn new(sdl: &str, max_seats_per_booking: u64) -> Result<Self, CostError> {
        let schema = parse_schema(sdl).map_err(|e| CostError::Schema(e.to_string()))?;
        let introspection =
            parse_schema(INTROSPECTION_SDL).map_err(|e| CostError::Schema(e.to_string()))?;
        let mut model = Self {
            types: HashMap::new(),
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
            max_seats_per_booking,
            schema_types: 0,
            widest_type: 0,
            most_args: 0,
        };
        model.read(&schema);
        // Counted before the introspection types go in; they, the built-in scalars and
        // directives are 15 more types.
        model.schema_types = model.types.len() as u64 + 15;
        model.read(&introspection);
        Ok(model)
    }

    fn read(&mut self, document: &ServiceDocument) {
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = &schema.node;
                    let name = |n: &Option<Positioned<async_graphql::Name>>| {
                        n.as_ref().map(|n| n.node.to_string())
                    };
                    if let Some(q) = name(&schema.query) {
                        self.query = q;
                    }
                    if let Some(m) = name(&schema.mutation) {
                        self.mutation = m;
                    }
                    if let Some(s) = name(&schema.subscription) {
                        self.subscription = s;
                    }
                }
                TypeSystemDefinition::Type(definition) => {
                    let definition = &definition.node;
                    let fields = match &definition.kind {
                        TypeKind::Object(o) => &o.fields,
                        TypeKind::Interface(i) => &i.fields,
                        TypeKind::Enum(e) => {
                            self.widest_type = self.widest_type.max(e.values.len() as u64);
                            continue;
                        }
                        _ => continue,
                    };
                    self.widest_type = self.widest_type.max(fields.len() as u64);
                    let mut map = HashMap::new();
                    for field in fields {
                        let field = &field.node;
                        self.most_args = self.most_args.max(field.arguments.len() as u64);
                        map.insert(field.name.node.to_string(), field_type(&field.ty.node));
                    }
                    self.types.insert(definition.name.node.to_string(), map);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
    }

    fn bound(&self, parent: &str, field: &str) -> Bound {
        if parent.starts_with("__") {
            return Bound::Each(match field {
                "types" | "possibleTypes" | "interfaces" => self.schema_types,
                "args" => self.most_args.max(5),
                "directives" | "locations" => 20,
                _ => self.widest_type,
            });
        }
        list_bound(parent, field, self.max_seats_per_booking).unwrap_or(Bound::Each(UNKNOWN_LIST))
    }

    /// The cost of every operation in `document`, summed: what the answer to all of them can
    /// hold, one unit per field per time it can appear. Saturates instead of overflowing.
    pub fn cost(&self, document: &ExecutableDocument) -> Result<u64, CostError> {
        self.estimate(document).map(|e| e.cost)
    }

    /// [`Self::cost`] with the depth of the deepest operation.
    pub fn estimate(&self, document: &ExecutableDocument) -> Result<Estimate, CostError> {
        let mut walk = Walk {
            model: self,
            fragments: &document.fragments,
            done: HashMap::new(),
            open: Vec::new(),
        };
        let mut total = 0u64;
        let mut depth = 0;
        for (_, operation) in document.operations.iter() {
            let operation = &operation.node;
            let root = match operation.ty {
                OperationType::Query => &self.query,
                OperationType::Mutation => &self.mutation,
                OperationType::Subscription => &self.subscription,
            };
            let part = walk.selection(&operation.selection_set.node, root)?;
            total = total.saturating_add(part.own).saturating_add(part.per_map);
            depth = depth.max(part.depth);
        }
        Ok(Estimate { cost: total, depth })
    }

    /// The list fields of the schema the bounds table does not know (for the unit test).
    #[cfg(test)]
    fn unbounded_lists(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for (parent, fields) in &self.types {
            for (name, ty) in fields {
                let known = parent.starts_with("__")
                    || list_bound(parent, name, self.max_seats_per_booking).is_some();
                if ty.is_list && !known {
                    missing.push(format!("{parent}.{name}"));
                }
            }
        }
        missing.sort();
        missing
    }
}

fn field_type(ty: &Type) -> FieldType {
    match &ty.base {
        BaseType::Named(name) => FieldType {
            named: name.to_string(),
            is_list: false,
        },
        BaseType::List(inner) => FieldType {
            is_list: true,
            ..field_type(inner)
        },
    }
}

struct Walk<'a> {
    model: &'a CostModel,
    fragments: &'a HashMap<async_graphql::Name, Positioned<FragmentDefinition>>,
    /// Fragments already costed: each is walked once however often it is spread, so a
    /// document of fragments spreading each other twice over is linear to cost, not
    /// exponential.
    done: HashMap<String, Part>,
    /// Fragments being walked, to stop at a cycle.
    open: Vec<String>,
}

impl Walk<'_> {
    fn selection(&mut self, set: &SelectionSet, parent: &str) -> Result<Part, CostError> {
        let mut total = Part::default();
        for item in &set.items {
            let part = match &item.node {
                Selection::Field(field) => self.field(&field.node, parent)?,
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let on = inline
                        .type_condition
                        .as_ref()
                        .map_or(parent, |c| c.node.on.node.as_str());
                    self.selection(&inline.selection_set.node, on)?
                }
            };
            total = total.add(part);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &str) -> Result<Part, CostError> {
        if let Some(part) = self.done.get(name) {
            return Ok(*part);
        }
        if self.open.iter().any(|open| open == name) {
            return Err(CostError::FragmentCycle(name.to_owned()));
        }
        // An unknown fragment is refused by validation; it costs nothing here.
        let Some(definition) = self.fragments.get(name) else {
            return Ok(Part::default());
        };
        self.open.push(name.to_owned());
        let definition = &definition.node;
        let part = self.selection(
            &definition.selection_set.node,
            definition.type_condition.node.on.node.as_str(),
        );
        self.open.pop();
        let part = part?;
        self.done.insert(name.to_owned(), part);
        Ok(part)
    }

    fn field(
        &mut self,
        field: &async_graphql::parser::types::Field,
        parent: &str,
    ) -> Result<Part, CostError> {
        let name = field.name.node.as_str();
        let ty = match name {
            "__schema" => Some(FieldType {
                named: "__Schema".into(),
                is_list: false,
            }),
            "__type" => Some(FieldType {
                named: "__Type".into(),
                is_list: false,
            }),
            _ => self
                .model
                .types
                .get(parent)
                .and_then(|fields| fields.get(name))
                .cloned(),
        };
        // `__typename`, and fields validation will refuse, are one unit.
        let Some(ty) = ty else {
            return Ok(Part {
                own: 1,
                per_map: 0,
                depth: 1,
            });
        };
        let mut inner = self.selection(&field.selection_set.node, &ty.named)?;
        let depth = inner.depth + 1;
        // A list of scalars or enums: one unit per item.
        if field.selection_set.node.items.is_empty() {
            inner = Part::default();
            if ty.is_list {
                inner.own = 1;
            }
        }
        if ty.named == "SeatMap" {
            // The seat map is where per-map items stop: one map holds that many at most.
            inner = Part {
                own: inner.own.saturating_add(inner.per_map),
                per_map: 0,
                depth,
            };
        }
        if !ty.is_list {
            return Ok(Part {
                own: inner.own.saturating_add(1),
                per_map: inner.per_map,
                depth,
            });
        }
        Ok(match self.model.bound(parent, name) {
            // Per-map items are bounded by the map, not by the lists between it and them.
            Bound::Each(n) => Part {
                own: inner.own.saturating_mul(n).saturating_add(1),
                per_map: inner.per_map,
                depth,
            },
            Bound::PerSeatMap(n) => Part {
                own: 1,
                per_map: inner.own.saturating_add(inner.per_map).saturating_mul(n),
                depth,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    const SDL: &str = r#"
        type Query { showtime(id: ID!): Showtime showtimes(movieId: ID): [Showtime!]!
          movies: [Movie!]! }
        type Mutation { createBooking(input: String!): Booking! }
        type SubscriptionRoot { seatMapUpdates(showtimeId: ID!): Seat! }
        schema { query: Query mutation: Mutation subscription: SubscriptionRoot }
        type Movie { id: ID! title: String! genres: [String!]! showtimes: [Showtime!]! }
        type Showtime { id: ID! movie: Movie seatMap: SeatMap! }
        type SeatMap { rows: [SeatRow!]! }
        type SeatRow { label: String! gapsAfter: [Int!]! seats: [Seat!]! }
        type Seat { id: ID! number: Int! }
        type Booking { id: ID! seats: [Seat!]! }
    "#;

    fn model() -> CostModel {
        CostModel::new(SDL, 10).expect("model")
    }

    fn cost(query: &str) -> u64 {
        model()
            .cost(&parse_query(query).expect("parses"))
            .expect("costs")
    }

    const MAP: &str = "seatMap { rows { label seats { id number } } }";

    #[test]
    fn a_seat_map_costs_in_proportion_to_the_largest_auditorium_not_rows_times_seats() {
        // showtime + id + seatMap, rows (1 + 2,000 rows × (label + seats)), and 2,000 seats
        // × (id + number) in the whole map — not 2,000 rows × 2,000 seats each.
        let one = cost(&format!("{{ showtime(id: \"x\") {{ id {MAP} }} }}"));
        assert_eq!(one, 3 + 1 + 2_000 * 2 + 2_000 * 2);
        let two_lists = cost(&format!("{{ showtimes {{ {MAP} }} }}"));
        assert_eq!(two_lists, 1 + 1_000 * (1 + 1 + 2_000 * 2 + 2_000 * 2));
    }

    #[test]
    fn lists_multiply_what_they_contain() {
        assert_eq!(cost("{ showtimes { id } }"), 1 + 1_000);
        let maps = cost(&format!("{{ showtimes {{ {MAP} }} }}"));
        let one = cost(&format!("{{ showtime(id: \"x\") {{ {MAP} }} }}"));
        assert_eq!(maps, 1 + 1_000 * (one - 1));
        assert_eq!(cost("{ movies { genres } }"), 1 + 500 * (1 + 20));
    }

    #[test]
    fn every_alias_counts() {
        let one = cost(&format!("{{ showtime(id: \"x\") {{ {MAP} }} }}"));
        let aliases: String = (0..30)
            .map(|i| format!("a{i}: showtime(id: \"x\") {{ {MAP} }} "))
            .collect();
        assert_eq!(cost(&format!("{{ {aliases} }}")), 30 * one);
    }

    #[test]
    fn fragments_count_where_they_are_spread_nested_or_inline() {
        let plain = cost(&format!("{{ showtime(id: \"x\") {{ id {MAP} }} }}"));
        let spread = cost(&format!(
            "{{ showtime(id: \"x\") {{ ...S }} }} fragment S on Showtime {{ id {MAP} }}"
        ));
        assert_eq!(spread, plain);
        let twice = cost(&format!(
            "{{ a: showtime(id: \"x\") {{ ...S }} b: showtime(id: \"y\") {{ ...S }} }} \
             fragment S on Showtime {{ id ...M }} fragment M on Showtime {{ {MAP} }}"
        ));
        assert_eq!(twice, 2 * plain);
        let inline = cost(&format!(
            "{{ showtime(id: \"x\") {{ ... on Showtime {{ id {MAP} }} }} }}"
        ));
        assert_eq!(inline, plain);
        let untyped = cost(&format!(
            "{{ showtime(id: \"x\") {{ ... {{ id {MAP} }} }} }}"
        ));
        assert_eq!(untyped, plain);
    }

    #[test]
    fn fragments_doubling_each_other_cost_a_lot_and_are_costed_quickly() {
        let mut doc = String::from("{ showtimes { ...F0 } }");
        for i in 0..40 {
            let n = i + 1;
            doc.push_str(&format!(
                " fragment F{i} on Showtime {{ ...F{n} movie {{ showtimes {{ ...F{n} }} }} }}"
            ));
        }
        doc.push_str(" fragment F40 on Showtime { id }");
        assert_eq!(cost(&doc), u64::MAX, "1,000^40 saturates");
    }

    #[test]
    fn a_fragment_cycle_is_refused_not_looped_on() {
        let doc = parse_query(
            "{ showtime(id: \"x\") { ...A } } fragment A on Showtime { movie { showtimes { ...A } } }",
        )
        .expect("parses");
        assert_eq!(
            model().cost(&doc),
            Err(CostError::FragmentCycle("A".into()))
        );
    }

    #[test]
    fn every_operation_of_a_document_counts() {
        let one = cost(&format!("query A {{ showtime(id: \"x\") {{ {MAP} }} }}"));
        let three = cost(&format!(
            "query A {{ showtime(id: \"x\") {{ {MAP} }} }} \
             query B {{ showtime(id: \"x\") {{ {MAP} }} }} \
             query C {{ showtime(id: \"x\") {{ {MAP} }} }}"
        ));
        assert_eq!(three, 3 * one);
    }

    #[test]
    fn variables_do_not_change_the_cost_as_no_list_takes_its_size_from_an_argument() {
        let with = cost("query($m: ID) { showtimes(movieId: $m) { id } }");
        assert_eq!(with, cost("{ showtimes { id } }"));
    }

    #[test]
    fn mutations_and_subscriptions_use_their_own_roots() {
        assert_eq!(
            cost("mutation { createBooking(input: \"x\") { id seats { id } } }"),
            1 + 1 + 1 + 10
        );
        assert_eq!(
            cost("subscription { seatMapUpdates(showtimeId: \"x\") { id number } }"),
            3
        );
    }

    #[test]
    fn the_depth_is_the_deepest_nesting_through_fragments() {
        let doc =
            parse_query("{ showtime(id: \"x\") { ...S } } fragment S on Showtime { movie { id } }")
                .expect("parses");
        assert_eq!(model().estimate(&doc).expect("estimate").depth, 3);
    }

    #[test]
    fn typename_and_unknown_fields_are_one_unit() {
        assert_eq!(cost("{ __typename nothing }"), 2);
    }

    #[test]
    fn graphiql_s_introspection_query_fits_the_signed_in_budget() {
        const INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } \
            mutationType { name } subscriptionType { name } types { ...FullType } \
            directives { name description locations args { ...InputValue } } } } \
            fragment FullType on __Type { kind name description fields(includeDeprecated: true) \
            { name description args { ...InputValue } type { ...TypeRef } isDeprecated \
            deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } \
            enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } \
            possibleTypes { ...TypeRef } } \
            fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue } \
            fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { \
            kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } \
            } } } } } } }";
        let schema = crate::graphql::schema_for_sdl();
        let model = CostModel::new(&schema.sdl(), 10).expect("model");
        let cost = model
            .cost(&parse_query(INTROSPECTION).expect("parses"))
            .expect("costs");
        let budget = crate::Settings::default().max_query_cost;
        assert!(cost <= budget, "introspection costs {cost}, over {budget}");
    }

    #[test]
    fn every_list_of_the_real_schema_has_a_bound() {
        let schema = crate::graphql::schema_for_sdl();
        let model = CostModel::new(&schema.sdl(), 10).expect("model");
        assert_eq!(model.unbounded_lists(), Vec::<String>::new());
    }
}
