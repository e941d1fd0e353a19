//! A format-neutral config tree with line numbers, and a reader that turns it into typed
//! values with errors a person can act on.
//!
//! The experiments crate parses TOML into [`Value`]s; the model, the distributions and every
//! strategy read their parameters through a [`Section`], which knows its dotted path, the
//! file and the line of each value. Every error names the file, the dotted key, the line
//! where known and what was expected; unknown keys are errors with a "did you mean"
//! suggestion, so a typo never silently falls back to a default.

pub mod scenario;

use crate::engine::time::SimDuration;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A config value and the line it starts on (1-based), when it came from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub line: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Value>),
    Table(Table),
}

/// Keys in sorted order, so that nothing downstream depends on hash order.
pub type Table = BTreeMap<String, Value>;

impl Value {
    pub fn new(kind: ValueKind, line: Option<u32>) -> Self {
        Value { kind, line }
    }

    /// What kind of value this is, in words, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            ValueKind::Str(_) => "a string",
            ValueKind::Int(_) => "an integer",
            ValueKind::Float(_) => "a float",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Array(_) => "an array",
            ValueKind::Table(_) => "a table",
        }
    }

    /// The value written back as config text, for error messages and run tables.
    pub fn to_config_text(&self) -> String {
        match &self.kind {
            ValueKind::Str(s) => format!("{s:?}"),
            ValueKind::Int(i) => i.to_string(),
            ValueKind::Float(f) => format_float(*f),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Array(items) => {
                let inner: Vec<String> = items.iter().map(Value::to_config_text).collect();
                format!("[{}]", inner.join(", "))
            }
            ValueKind::Table(t) => {
                let inner: Vec<String> = t
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", v.to_config_text()))
                    .collect();
                format!("{{ {} }}", inner.join(", "))
            }
        }
    }

    /// The value as a plain cell: strings without quotes, everything else as config text.
    pub fn to_cell_text(&self) -> String {
        match &self.kind {
            ValueKind::Str(s) => s.clone(),
            _ => self.to_config_text(),
        }
    }
}

/// Shortest text that reads back to the same float, always with a decimal point.
pub fn format_float(f: f64) -> String {
    let s = f.to_string();
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// An error in a config: where it is and what would be right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Option<String>,
    pub key: Option<String>,
    pub line: Option<u32>,
    pub message: String,
}

impl ConfigError {
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError {
            file: None,
            key: None,
            line: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, file: Option<&str>, key: Option<&str>, line: Option<u32>) -> Self {
        if self.file.is_none() {
            self.file = file.map(str::to_string);
        }
        if self.key.is_none() {
            self.key = key.map(str::to_string);
        }
        if self.line.is_none() {
            self.line = line;
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: ")?,
            (Some(file), None) => write!(f, "{file}: ")?,
            (None, Some(line)) => write!(f, "line {line}: ")?,
            (None, None) => {}
        }
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Where a config came from: the name used in messages and the folder relative paths in it
/// (empirical distributions, for example) are read from. A [`recording`](Self::recording)
/// source also notes the dotted path of every key read through it, so a caller can tell
/// whether a key it set (a sweep axis, an override) is read by anything.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub base_dir: PathBuf,
    reads: Option<Arc<Mutex<BTreeSet<String>>>>,
}

impl Source {
    pub fn new(name: impl Into<String>, base_dir: impl Into<PathBuf>) -> Self {
        Source {
            name: name.into(),
            base_dir: base_dir.into(),
            reads: None,
        }
    }

    /// A copy of this source that records every key read through it, starting empty.
    pub fn recording(&self) -> Source {
        Source {
            reads: Some(Arc::default()),
            ..self.clone()
        }
    }

    /// The dotted paths read so far through a recording source (empty for another).
    pub fn keys_read(&self) -> BTreeSet<String> {
        match &self.reads {
            Some(reads) => reads.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            None => BTreeSet::new(),
        }
    }

    fn note_read(&self, key: impl FnOnce() -> String) {
        if let Some(reads) = &self.reads {
            reads
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key());
        }
    }

    /// A source for values built in code, with paths relative to the working directory.
    pub fn inline() -> Self {
        Source::new("<inline>", ".")
    }

    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

/// A table being read: its dotted path, its source and which keys were consumed.
pub struct Section<'a> {
    table: &'a Table,
    path: String,
    line: Option<u32>,
    source: &'a Source,
    used: RefCell<Vec<String>>,
}

/// Types a config value can be read as.
pub trait FromValue: Sized {
    /// What a valid value looks like, for messages: "a positive integer", "a duration".
    const EXPECTED: &'static str;
    fn from_value(value: &Value) -> Result<Self, String>;
}

impl<'a> Section<'a> {
    pub fn new(
        table: &'a Table,
        path: impl Into<String>,
        line: Option<u32>,
        source: &'a Source,
    ) -> Self {
        Section {
            table,
            path: path.into(),
            line,
            source,
            used: RefCell::new(Vec::new()),
        }
    }

    /// The table itself, for callers that walk it (keys in file order, say).
    pub fn raw(&self) -> &'a Table {
        self.table
    }

    /// The dotted path of this table ("" for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn source(&self) -> &'a Source {
        self.source
    }

    pub fn line(&self) -> Option<u32> {
        self.line
    }

    /// The dotted path of a key in this table.
    pub fn key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{}", self.path, name)
        }
    }

    /// Looks a key up and marks it as read.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        let v = self.table.get(name)?;
        self.source.note_read(|| self.key(name));
        let mut used = self.used.borrow_mut();
        if !used.iter().any(|u| u == name) {
            used.push(name.to_string());
        }
        Some(v)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.table.contains_key(name)
    }

    /// Every key of the table, in order (for tables whose keys are names, like strategies).
    pub fn keys(&self) -> impl Iterator<Item = &'a String> {
        self.table.keys()
    }

    /// An error about key `name` of this table, at its line if it is present.
    pub fn error(&self, name: &str, message: impl Into<String>) -> ConfigError {
        let line = self.table.get(name).and_then(|v| v.line).or(self.line);
        ConfigError::new(message).at(Some(&self.source.name), Some(&self.key(name)), line)
    }

    /// An error for a required key that is absent. When the table holds an unread key
    /// that looks like a misspelling of it, the message points at that key and its line.
    pub fn missing(&self, name: &str, expected: impl fmt::Display) -> ConfigError {
        let used = self.used.borrow();
        let near = self
            .table
            .keys()
            .filter(|k| !used.contains(*k))
            .map(String::as_str)
            .find(|k| !suggestion(k, std::iter::once(name)).is_empty());
        match near {
            Some(typo) => {
                let line = self.table.get(typo).and_then(|v| v.line).or(self.line);
                ConfigError::new(format!(
                    "missing; expected {expected} (the table has `{typo}`: did you mean `{name}`?)"
                ))
                .at(Some(&self.source.name), Some(&self.key(name)), line)
            }
            None => self.error(name, format!("missing; expected {expected}")),
        }
    }

    /// An error about this table as a whole.
    pub fn error_here(&self, message: impl Into<String>) -> ConfigError {
        let key = if self.path.is_empty() {
            None
        } else {
            Some(self.path.as_str())
        };
        ConfigError::new(message).at(Some(&self.source.name), key, self.line)
    }

    /// Reads an optional key as `T`.
    pub fn opt<T: FromValue>(&self, name: &str) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => T::from_value(v).map(Some).map_err(|why| {
                ConfigError::new(format!("expected {}, {}", T::EXPECTED, why)).at(
                    Some(&self.source.name),
                    Some(&self.key(name)),
                    v.line.or(self.line),
                )
            }),
        }
    }

    /// Reads a required key as `T`.
    pub fn req<T: FromValue>(&self, name: &str) -> Result<T, ConfigError> {
        self.opt(name)?
            .ok_or_else(|| self.missing(name, T::EXPECTED))
    }

    /// Reads a key as `T`, or `default` when absent.
    pub fn or<T: FromValue>(&self, name: &str, default: T) -> Result<T, ConfigError> {
        Ok(self.opt(name)?.unwrap_or(default))
    }

    /// Reads a key and checks it: `valid` says whether it is acceptable, `expected` says
    /// what would be ("a positive number", "a probability between 0 and 1").
    pub fn checked<T: FromValue + fmt::Debug>(
        &self,
        name: &str,
        default: Option<T>,
        valid: impl Fn(&T) -> bool,
        expected: &str,
    ) -> Result<T, ConfigError> {
        let value = match (self.opt::<T>(name)?, default) {
            (Some(v), _) => v,
            (None, Some(d)) => return Ok(d),
            (None, None) => return Err(self.missing(name, expected)),
        };
        if valid(&value) {
            Ok(value)
        } else {
            let shown = self
                .get(name)
                .map(Value::to_config_text)
                .unwrap_or_default();
            Err(self.error(name, format!("expected {expected}, got {shown}")))
        }
    }

    /// A positive, finite float.
    pub fn positive_f64(&self, name: &str, default: Option<f64>) -> Result<f64, ConfigError> {
        self.checked(
            name,
            default,
            |v: &f64| v.is_finite() && *v > 0.0,
            "a positive number",
        )
    }

    /// A non-negative, finite float.
    pub fn non_negative_f64(&self, name: &str, default: Option<f64>) -> Result<f64, ConfigError> {
        self.checked(
            name,
            default,
            |v: &f64| v.is_finite() && *v >= 0.0,
            "a number of at least 0",
        )
    }

    /// A probability in [0, 1].
    pub fn probability(&self, name: &str, default: Option<f64>) -> Result<f64, ConfigError> {
        self.checked(
            name,
            default,
            |v: &f64| (0.0..=1.0).contains(v),
            "a probability between 0 and 1",
        )
    }

    /// A positive duration.
    pub fn positive_duration(
        &self,
        name: &str,
        default: Option<SimDuration>,
    ) -> Result<SimDuration, ConfigError> {
        self.checked(
            name,
            default,
            |d: &SimDuration| !d.is_zero(),
            "a duration longer than 0",
        )
    }

    /// An integer of at least `min`.
    pub fn integer_at_least(
        &self,
        name: &str,
        default: Option<u64>,
        min: u64,
    ) -> Result<u64, ConfigError> {
        self.checked(
            name,
            default,
            |v: &u64| *v >= min,
            &format!("an integer of at least {min}"),
        )
    }

    /// A sub-table, if present; an error if the key holds something else.
    pub fn table(&self, name: &str) -> Result<Option<Section<'a>>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value {
                kind: ValueKind::Table(t),
                line,
            }) => Ok(Some(Section::new(t, self.key(name), *line, self.source))),
            Some(v) => Err(self.error(name, format!("expected a table, got {}", v.type_name()))),
        }
    }

    /// An array of tables (`[[name]]` in TOML), each as a section named `name[i]`.
    pub fn tables(&self, name: &str) -> Result<Vec<Section<'a>>, ConfigError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value {
                kind: ValueKind::Array(items),
                ..
            }) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match &item.kind {
                    ValueKind::Table(t) => Ok(Section::new(
                        t,
                        format!("{}[{}]", self.key(name), i),
                        item.line,
                        self.source,
                    )),
                    _ => Err(ConfigError::new(format!(
                        "expected a table, got {}",
                        item.type_name()
                    ))
                    .at(
                        Some(&self.source.name),
                        Some(&format!("{}[{}]", self.key(name), i)),
                        item.line,
                    )),
                })
                .collect(),
            Some(v) => Err(self.error(
                name,
                format!("expected an array of tables, got {}", v.type_name()),
            )),
        }
    }

    /// A string that must be one of `choices`.
    pub fn choice(
        &self,
        name: &str,
        default: Option<&'a str>,
        choices: &[&str],
    ) -> Result<String, ConfigError> {
        let value: String = match (self.opt::<String>(name)?, default) {
            (Some(v), _) => v,
            (None, Some(d)) => return Ok(d.to_string()),
            (None, None) => {
                return Err(self.error(
                    name,
                    format!("missing; expected one of {}", quoted_list(choices)),
                ));
            }
        };
        if choices.contains(&value.as_str()) {
            Ok(value)
        } else {
            let hint = suggestion(&value, choices.iter().copied());
            Err(self.error(
                name,
                format!(
                    "unknown value \"{value}\"; expected one of {}{hint}",
                    quoted_list(choices)
                ),
            ))
        }
    }

    /// Fails on any key not read so far, suggesting the nearest known key. Call it after
    /// reading every key the table may hold.
    pub fn finish(&self) -> Result<(), ConfigError> {
        self.finish_with(&[])
    }

    /// Like [`finish`](Self::finish), also accepting `extra` keys that were not read (keys
    /// another part of the program reads).
    pub fn finish_with(&self, extra: &[&str]) -> Result<(), ConfigError> {
        let used = self.used.borrow();
        for (name, value) in self.table {
            if used.contains(name) || extra.contains(&name.as_str()) {
                continue;
            }
            let known: Vec<&str> = used
                .iter()
                .map(String::as_str)
                .chain(extra.iter().copied())
                .collect();
            let hint = suggestion(name, known.iter().copied());
            return Err(ConfigError::new(format!("unknown key{hint}")).at(
                Some(&self.source.name),
                Some(&self.key(name)),
                value.line.or(self.line),
            ));
        }
        Ok(())
    }

    /// Like [`finish`](Self::finish), with the full list of keys this table accepts, so the
    /// suggestion can name keys that were optional and absent.
    pub fn finish_known(&self, known: &[&str]) -> Result<(), ConfigError> {
        let used = self.used.borrow();
        for (name, value) in self.table {
            if used.contains(name) || known.contains(&name.as_str()) {
                continue;
            }
            let hint = suggestion(name, known.iter().copied());
            return Err(ConfigError::new(format!(
                "unknown key{hint}; this table accepts {}",
                quoted_list(known)
            ))
            .at(
                Some(&self.source.name),
                Some(&self.key(name)),
                value.line.or(self.line),
            ));
        }
        Ok(())
    }
}

/// An I/O error in words, without the OS error number: "no such file or folder", "no
/// space left on the device".
pub fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or folder".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a folder, not a file".into(),
        NotADirectory => "a part of the path is a file, not a folder".into(),
        AlreadyExists => "a file of that name is in the way".into(),
        StorageFull => "no space left on the device".into(),
        ReadOnlyFilesystem => "the file system is read-only".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// `"a", "b" or "c"`.
pub fn quoted_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// `" (did you mean `x`?)"` when a candidate is close to `word`, else "".
pub fn suggestion<'b>(word: &str, candidates: impl Iterator<Item = &'b str>) -> String {
    let mut best: Option<(usize, &str)> = None;
    let word_lower = word.to_lowercase();
    for c in candidates {
        let c_lower = c.to_lowercase();
        let d = edit_distance(&word_lower, &c_lower);
        let limit = (c.len().max(word.len()) / 3).max(1);
        // An abbreviation ("expo" for "exponential") is as good as a near miss.
        let abbreviation = word.len() >= 3 && c_lower.starts_with(&word_lower);
        let d = if abbreviation { d.min(limit) } else { d };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    match best {
        Some((_, c)) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

/// Edit distance between two strings, by characters: insertions, deletions,
/// substitutions and swaps of two neighbours ("retyr" for "retry") each count one
/// (the optimal string alignment distance).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let substitution = prev[j] + usize::from(a[i] != b[j]);
            let mut d = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn got(value: &Value) -> String {
    format!("got {} ({})", value.type_name(), value.to_config_text())
}

impl FromValue for f64 {
    const EXPECTED: &'static str = "a number";
    fn from_value(value: &Value) -> Result<Self, String> {
        match value.kind {
            ValueKind::Float(f) => Ok(f),
            ValueKind::Int(i) => Ok(i as f64),
            _ => Err(got(value)),
        }
    }
}

impl FromValue for i64 {
    const EXPECTED: &'static str = "an integer";
    fn from_value(value: &Value) -> Result<Self, String> {
        match value.kind {
            ValueKind::Int(i) => Ok(i),
            _ => Err(got(value)),
        }
    }
}

impl FromValue for u64 {
    const EXPECTED: &'static str = "a non-negative integer";
    fn from_value(value: &Value) -> Result<Self, String> {
        match value.kind {
            ValueKind::Int(i) if i >= 0 => Ok(i as u64),
            ValueKind::Int(i) => Err(format!("got {i}")),
            _ => Err(got(value)),
        }
    }
}

impl FromValue for u32 {
    const EXPECTED: &'static str = "a non-negative integer below 2^32";
    fn from_value(value: &Value) -> Result<Self, String> {
        match value.kind {
            ValueKind::Int(i) => u32::try_from(i).map_err(|_| format!("got {i}")),
            _ => Err(got(value)),
        }
    }
}

impl FromValue for bool {
    const EXPECTED: &'static str = "true or false";
    fn from_value(value: &Value) -> Result<Self, String> {
        match value.kind {
            ValueKind::Bool(b) => Ok(b),
            _ => Err(got(value)),
        }
    }
}

impl FromValue for String {
    const EXPECTED: &'static str = "a string";
    fn from_value(value: &Value) -> Result<Self, String> {
        match &value.kind {
            ValueKind::Str(s) => Ok(s.clone()),
            _ => Err(got(value)),
        }
    }
}

impl FromValue for SimDuration {
    const EXPECTED: &'static str = "a duration string like \"10ms\"";
    fn from_value(value: &Value) -> Result<Self, String> {
        match &value.kind {
            ValueKind::Str(s) => SimDuration::parse(s).map_err(|e| format!("but {e}")),
            ValueKind::Int(0) => Ok(SimDuration::ZERO),
            _ => Err(format!(
                "{} (durations are strings with a unit)",
                got(value)
            )),
        }
    }
}

impl FromValue for Vec<Value> {
    const EXPECTED: &'static str = "an array";
    fn from_value(value: &Value) -> Result<Self, String> {
        match &value.kind {
            ValueKind::Array(items) => Ok(items.clone()),
            _ => Err(got(value)),
        }
    }
}

/// Builds tables in code (tests, defaults): `table(&[("kind", s("round-robin"))])`.
pub fn table(entries: &[(&str, Value)]) -> Value {
    Value::new(
        ValueKind::Table(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
        None,
    )
}

/// A string value without a line, for building tables in code.
pub fn s(text: &str) -> Value {
    Value::new(ValueKind::Str(text.to_string()), None)
}

/// A float value without a line.
pub fn f(x: f64) -> Value {
    Value::new(ValueKind::Float(x), None)
}

/// An integer value without a line.
pub fn i(x: i64) -> Value {
    Value::new(ValueKind::Int(x), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_line(kind: ValueKind, line: u32) -> Value {
        Value::new(kind, Some(line))
    }

    fn sample() -> Table {
        let mut t = Table::new();
        t.insert("servers".into(), with_line(ValueKind::Int(8), 3));
        t.insert("rate".into(), with_line(ValueKind::Float(-2.0), 4));
        t.insert("timeout".into(), with_line(ValueKind::Str("1s".into()), 5));
        t.insert("sevrice".into(), with_line(ValueKind::Int(1), 6));
        t
    }

    #[test]
    fn reads_typed_values() {
        let t = sample();
        let src = Source::new("c.toml", ".");
        let sec = Section::new(&t, "cluster", Some(2), &src);
        assert_eq!(sec.req::<u32>("servers").unwrap(), 8);
        assert_eq!(
            sec.req::<SimDuration>("timeout").unwrap(),
            SimDuration::from_secs(1)
        );
        assert_eq!(sec.or::<u64>("missing", 7).unwrap(), 7);
    }

    #[test]
    fn errors_name_file_key_line_and_expectation() {
        let t = sample();
        let src = Source::new("c.toml", ".");
        let sec = Section::new(&t, "cluster", Some(2), &src);
        let e = sec.positive_f64("rate", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.toml:4: `cluster.rate`: expected a positive number, got -2.0"
        );
        let e = sec.req::<SimDuration>("servers").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.toml:3: `cluster.servers`: expected a duration"),
            "{e}"
        );
        let e = sec.req::<u32>("nothing").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.toml:2: `cluster.nothing`: missing; expected a non-negative integer below 2^32"
        );
    }

    #[test]
    fn unknown_keys_get_a_suggestion() {
        let t = sample();
        let src = Source::new("c.toml", ".");
        let sec = Section::new(&t, "cluster", Some(2), &src);
        sec.get("servers");
        sec.get("rate");
        sec.get("timeout");
        let e = sec
            .finish_known(&["servers", "rate", "timeout", "service"])
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.toml:6: `cluster.sevrice`: unknown key (did you mean `service`?)"),
            "{e}"
        );
    }

    #[test]
    fn choice_suggests_the_nearest_value() {
        let mut t = Table::new();
        t.insert(
            "kind".into(),
            with_line(ValueKind::Str("round-robbin".into()), 9),
        );
        let src = Source::new("c.toml", ".");
        let sec = Section::new(&t, "routing", None, &src);
        let e = sec
            .choice("kind", None, &["round-robin", "random"])
            .unwrap_err();
        assert!(
            e.to_string().contains("(did you mean `round-robin`?)"),
            "{e}"
        );
        assert_eq!(e.line, Some(9));
    }

    #[test]
    fn a_recording_source_notes_every_key_read() {
        let mut inner = Table::new();
        inner.insert("mean".into(), with_line(ValueKind::Str("1s".into()), 2));
        let mut t = Table::new();
        t.insert("mttf".into(), with_line(ValueKind::Table(inner), 2));
        t.insert("unread".into(), with_line(ValueKind::Int(1), 3));
        let src = Source::new("c.toml", ".").recording();
        let sec = Section::new(&t, "faults.crash", None, &src);
        let mttf = sec.table("mttf").unwrap().unwrap();
        mttf.get("mean");
        let read: Vec<String> = src.keys_read().into_iter().collect();
        assert_eq!(read, ["faults.crash.mttf", "faults.crash.mttf.mean"]);
        assert!(Source::inline().keys_read().is_empty());
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("retyr", "retry"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
