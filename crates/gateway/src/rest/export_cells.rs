//! CSV cells straight from a record's `Serialize`: each field lands in its column's cell as it
//! is serialized, without the JSON value of the whole record that [`super::export::Column::cell`]
//! reads (a map, its keys and every nested value allocated per record, then walked by path).
//! The cells are the same: text as it is, numbers and booleans as JSON writes them, lists and
//! free-form objects as JSON text, nothing for null or absent, nested objects one level deep.

use super::export::Column;
use serde::Serialize;
use serde::ser::{self, Impossible};
use std::fmt::{self, Display, Write as _};

/// Where a top-level field's cells go.
#[derive(Debug)]
enum Slot {
    /// One column.
    Leaf(usize),
    /// Expanded one level: a column per key.
    Nested(Fields<usize>),
}

/// Named entries found by name. A record serializes its fields in the same order every time,
/// so the entry after the last one found is tried first: one comparison per field instead of
/// a hash (SipHash of every field name was a tenth of the export's time).
#[derive(Debug)]
struct Fields<T> {
    entries: Vec<(String, T)>,
}

impl<T> Fields<T> {
    fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    fn entry(&mut self, name: &str, make: impl FnOnce() -> T) -> &mut T {
        let at = match self.entries.iter().position(|(n, _)| n == name) {
            Some(at) => at,
            None => {
                self.entries.push((name.to_owned(), make()));
                self.entries.len() - 1
            }
        };
        &mut self.entries[at].1
    }

    /// The entry named `name`; `cursor` is where the search starts and ends after the find.
    fn get(&self, name: &str, cursor: &mut usize) -> Option<&T> {
        if let Some((n, v)) = self.entries.get(*cursor)
            && n == name
        {
            *cursor += 1;
            return Some(v);
        }
        let at = self.entries.iter().position(|(n, _)| n == name)?;
        *cursor = at + 1;
        Some(&self.entries[at].1)
    }
}

/// The columns of an export by field: built once per export, used for every record.
#[derive(Debug)]
pub struct Plan {
    top: Fields<Slot>,
    width: usize,
}

impl Plan {
    /// The plan of `columns` (paths of one or two keys, as [`super::export::columns`] makes).
    pub fn new(columns: &[Column]) -> Self {
        let mut top: Fields<Slot> = Fields::new();
        for (i, c) in columns.iter().enumerate() {
            match c.path() {
                [name] => *top.entry(name, || Slot::Leaf(i)) = Slot::Leaf(i),
                [name, key] => {
                    if let Slot::Nested(keys) = top.entry(name, || Slot::Nested(Fields::new())) {
                        *keys.entry(key, || i) = i;
                    }
                }
                _ => {}
            }
        }
        Self {
            top,
            width: columns.len(),
        }
    }

    /// Fills `cells` (one per column, in column order) from `record`.
    pub fn fill<T: Serialize + ?Sized>(
        &self,
        record: &T,
        cells: &mut Vec<String>,
    ) -> Result<(), String> {
        cells.resize_with(self.width, String::new);
        for c in cells.iter_mut() {
            c.clear();
        }
        record
            .serialize(Object {
                keys: Keys::Top(&self.top),
                cells,
                cursor: 0,
            })
            .map_err(|e| e.0)
    }
}

/// Why a value did not become a cell.
#[derive(Debug)]
struct Failed(String);

impl Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<T: Display>(msg: T) -> Self {
        Failed(msg.to_string())
    }
}

fn compound() -> Failed {
    Failed("compound".to_owned())
}

/// Writes `value` into `cell`: scalars as text, anything else as its JSON text.
fn write_cell<T: Serialize + ?Sized>(cell: &mut String, value: &T) -> Result<(), Failed> {
    if value.serialize(Scalar(cell)).is_err() {
        cell.clear();
        *cell = serde_json::to_string(value).map_err(|e| Failed(e.to_string()))?;
    }
    Ok(())
}

/// The compound values a cell or an object cannot hold: lists, tuples, struct variants.
macro_rules! compounds {
    () => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Failed> {
            Err(compound())
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Failed> {
            Err(compound())
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Failed> {
            Err(compound())
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Failed> {
            Err(compound())
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Failed> {
            Err(compound())
        }
    };
}

/// A scalar into a cell; compound values fail, so that [`write_cell`] writes their JSON.
struct Scalar<'a>(&'a mut String);

macro_rules! display {
    ($($method:ident: $t:ty),+ $(,)?) => {$(
        fn $method(self, v: $t) -> Result<(), Failed> {
            write!(self.0, "{v}").map_err(|e| Failed(e.to_string()))
        }
    )+};
}

impl ser::Serializer for Scalar<'_> {
    type Ok = ();
    type Error = Failed;
    type SerializeSeq = Impossible<(), Failed>;
    type SerializeTuple = Impossible<(), Failed>;
    type SerializeTupleStruct = Impossible<(), Failed>;
    type SerializeTupleVariant = Impossible<(), Failed>;
    type SerializeMap = Impossible<(), Failed>;
    type SerializeStruct = Impossible<(), Failed>;
    type SerializeStructVariant = Impossible<(), Failed>;

    display!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_char: char);

    fn serialize_f32(self, v: f32) -> Result<(), Failed> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Failed> {
        // As a JSON value holds it: no value for what JSON cannot write.
        if v.is_finite() {
            self.0
                .push_str(&serde_json::to_string(&v).map_err(|e| Failed(e.to_string()))?);
        }
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Failed> {
        self.0.push_str(v);
        Ok(())
    }
    fn collect_str<T: Display + ?Sized>(self, v: &T) -> Result<(), Failed> {
        write!(self.0, "{v}").map_err(|e| Failed(e.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Failed> {
        Err(compound())
    }
    fn serialize_none(self) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Failed> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<(), Failed> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Failed> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Failed> {
        Err(compound())
    }
    compounds!();
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Failed> {
        Err(compound())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Failed> {
        Err(compound())
    }
}

/// The columns of an object's fields: the record's own, or one nested object's.
#[derive(Clone, Copy)]
enum Keys<'a> {
    Top(&'a Fields<Slot>),
    Nested(&'a Fields<usize>),
}

/// An object whose fields go to their columns; a value that is not an object leaves its
/// cells empty (as a path through it finds nothing).
struct Object<'a> {
    keys: Keys<'a>,
    cells: &'a mut [String],
    cursor: usize,
}

impl Object<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Failed> {
        match self.keys {
            Keys::Top(top) => match top.get(key, &mut self.cursor) {
                Some(Slot::Leaf(i)) => write_cell(&mut self.cells[*i], value),
                Some(Slot::Nested(keys)) => value.serialize(Object {
                    keys: Keys::Nested(keys),
                    cells: self.cells,
                    cursor: 0,
                }),
                None => Ok(()),
            },
            Keys::Nested(keys) => match keys.get(key, &mut self.cursor) {
                Some(i) => write_cell(&mut self.cells[*i], value),
                None => Ok(()),
            },
        }
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

/// An object serialized as a map (a JSON value, a flattened struct): keys are text.
struct ObjectMap<'a> {
    object: Object<'a>,
    key: String,
}

impl ser::SerializeMap for ObjectMap<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failed> {
        self.key.clear();
        key.serialize(Scalar(&mut self.key))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        let key = std::mem::take(&mut self.key);
        let done = self.object.field(&key, value);
        self.key = key;
        done
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

macro_rules! ignore {
    ($($method:ident: $t:ty),+ $(,)?) => {$(
        fn $method(self, _: $t) -> Result<(), Failed> {
            Ok(())
        }
    )+};
}

impl<'a> ser::Serializer for Object<'a> {
    type Ok = ();
    type Error = Failed;
    type SerializeSeq = Impossible<(), Failed>;
    type SerializeTuple = Impossible<(), Failed>;
    type SerializeTupleStruct = Impossible<(), Failed>;
    type SerializeTupleVariant = Impossible<(), Failed>;
    type SerializeMap = ObjectMap<'a>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Failed>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Failed> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<ObjectMap<'a>, Failed> {
        Ok(ObjectMap {
            object: self,
            key: String::new(),
        })
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Failed> {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Failed> {
        v.serialize(self)
    }
    // Anything else is not an object: its cells stay empty.
    ignore!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char,
        serialize_str: &str, serialize_bytes: &[u8]);

    fn collect_str<T: Display + ?Sized>(self, _: &T) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_unit(self) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Failed> {
        Ok(())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Failed> {
        Ok(())
    }
    // Lists and variants where an object was expected: the schema has none.
    compounds!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Address {
        city: Option<String>,
        zip: Option<String>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Stage {
        KeyAccount,
    }

    #[derive(Serialize)]
    struct Record {
        id: uuid::Uuid,
        name: String,
        n: i64,
        share: f64,
        nan: f64,
        ok: bool,
        stage: Option<Stage>,
        at: chrono::DateTime<chrono::Utc>,
        address: Option<Address>,
        none: Option<Address>,
        tags: Vec<String>,
        consent: serde_json::Value,
        custom: serde_json::Value,
        skipped: String,
    }

    fn col(p: &[&str]) -> Column {
        Column::new(p.iter().map(|s| s.to_string()).collect())
    }

    /// The cells equal those read from the record's JSON value, column by column.
    #[test]
    fn cells_equal_the_json_values() {
        let r = Record {
            id: uuid::Uuid::now_v7(),
            name: "a,\"b\"\nc".into(),
            n: -3,
            share: 0.125,
            nan: f64::NAN,
            ok: true,
            stage: Some(Stage::KeyAccount),
            at: chrono::Utc::now(),
            address: Some(Address {
                city: Some("Köln".into()),
                zip: None,
            }),
            none: None,
            tags: vec!["x".into(), "y".into()],
            consent: json!({"email": true}),
            custom: json!({"tier": "gold", "score": 2.5, "list": [1, 2], "obj": {"k": null}, "nil": null}),
            skipped: "not a column".into(),
        };
        let columns = vec![
            col(&["id"]),
            col(&["name"]),
            col(&["n"]),
            col(&["share"]),
            col(&["nan"]),
            col(&["ok"]),
            col(&["stage"]),
            col(&["at"]),
            col(&["address", "city"]),
            col(&["address", "zip"]),
            col(&["none", "city"]),
            col(&["tags"]),
            col(&["consent"]),
            col(&["custom", "tier"]),
            col(&["custom", "score"]),
            col(&["custom", "list"]),
            col(&["custom", "obj"]),
            col(&["custom", "nil"]),
            col(&["custom", "absent"]),
            col(&["name", "deeper"]),
            col(&["absent"]),
        ];
        let value = serde_json::to_value(&r).unwrap();
        let want: Vec<String> = columns
            .iter()
            .map(|c| c.cell(&value).into_owned())
            .collect();
        let mut cells = Vec::new();
        Plan::new(&columns).fill(&r, &mut cells).unwrap();
        assert_eq!(cells, want);
        assert_eq!(cells[6], "key_account");
        assert_eq!(cells[8], "Köln");
        assert_eq!(cells[15], "[1,2]");
        // Filled again, no cell keeps the record before's value.
        let mut other = r;
        other.address = None;
        other.custom = json!({});
        Plan::new(&columns).fill(&other, &mut cells).unwrap();
        assert_eq!(cells[8], "");
        assert_eq!(cells[13], "");
    }
}
