//! Strategy parameters, declared once per kind in a table of [`Param`]s: its name, how it
//! is read and checked, its default, a one-line doc and its unit. The table drives
//! reading the kind's `[strategies.NAME]` family section ([`Params::read`]), the defaults,
//! the `faultline strategies` listing and the kind's canonical description
//! ([`Params::describe`]), which feeds run tables and fingerprints.
//!
//! A kind's builder receives the values read from its table, may resolve them (a value
//! computed from others, one clamped), checks what spans several parameters, and keeps
//! the description of the resolved values in the spec it builds.

use sim_core::SimDuration;
use sim_core::config::{ConfigError, FromValue, Section, Value, format_float};

/// A parameter's value once read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    Duration(SimDuration),
    Float(f64),
    Int(u64),
    Bool(bool),
    Choice(&'static str),
}

impl Val {
    pub fn duration(&self) -> SimDuration {
        match self {
            Val::Duration(d) => *d,
            other => panic!("{other:?} is not a duration"),
        }
    }

    pub fn float(&self) -> f64 {
        match self {
            Val::Float(f) => *f,
            other => panic!("{other:?} is not a float"),
        }
    }

    pub fn int(&self) -> u64 {
        match self {
            Val::Int(i) => *i,
            other => panic!("{other:?} is not an integer"),
        }
    }
}

/// How a parameter is read, and written back in descriptions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    /// A duration string, written quoted.
    Duration,
    /// A number, written with a decimal point (`8.0`).
    Float,
    /// A number, written as the shortest text that reads back to it (`20`, `0.95`).
    Number,
    /// A non-negative integer.
    Int,
    /// A non-negative integer below 2^32.
    Int32,
    Bool,
    /// One of the given strings, written quoted.
    Choice(&'static [&'static str]),
}

/// A parameter's default.
#[derive(Clone, Copy, Debug)]
pub enum Default {
    Value(Val),
    /// The value of an earlier parameter of the table, named.
    Same(&'static str),
    /// None: the parameter is optional and absent means unset.
    Unset,
    /// None: the parameter must be given.
    Required,
}

/// A validity check beyond the type.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    pub ok: fn(&Val) -> bool,
    /// What a valid value is ("a duration longer than 0"), for "expected ..., got ...";
    /// or, with `whole`, the whole message.
    pub expected: &'static str,
    pub whole: bool,
}

/// A parameter that applies only while an earlier choice parameter has a given value;
/// given otherwise, it is refused with `otherwise`.
#[derive(Clone, Copy, Debug)]
pub struct When {
    pub key: &'static str,
    pub value: &'static str,
    pub otherwise: &'static str,
}

/// Whether a set value appears in the kind's description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    Always,
    /// Only when it differs from the default.
    UnlessDefault,
    /// Never: the parameter is resolved into others.
    Never,
}

/// One parameter of a strategy kind.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub default: Default,
    pub doc: &'static str,
    /// The unit of a number, empty for durations (which carry theirs), booleans and names.
    pub unit: &'static str,
    pub check: Option<Check>,
    pub when: Option<When>,
    /// A parameter given instead of this one: both given is an error at this one, and
    /// either given leaves the other without its default.
    pub instead_of: Option<&'static str>,
    pub show: Show,
}

impl Param {
    pub const fn new(
        name: &'static str,
        ty: Ty,
        default: Default,
        doc: &'static str,
        unit: &'static str,
    ) -> Self {
        Param {
            name,
            ty,
            default,
            doc,
            unit,
            check: None,
            when: None,
            instead_of: None,
            show: Show::Always,
        }
    }

    /// A duration, `default` when absent.
    pub const fn duration(name: &'static str, default: SimDuration, doc: &'static str) -> Self {
        Param::new(
            name,
            Ty::Duration,
            Default::Value(Val::Duration(default)),
            doc,
            "",
        )
    }

    /// A number written with a decimal point.
    pub const fn float(
        name: &'static str,
        default: f64,
        doc: &'static str,
        unit: &'static str,
    ) -> Self {
        Param::new(
            name,
            Ty::Float,
            Default::Value(Val::Float(default)),
            doc,
            unit,
        )
    }

    /// A number written as its shortest text.
    pub const fn number(
        name: &'static str,
        default: f64,
        doc: &'static str,
        unit: &'static str,
    ) -> Self {
        Param::new(
            name,
            Ty::Number,
            Default::Value(Val::Float(default)),
            doc,
            unit,
        )
    }

    pub const fn int(
        name: &'static str,
        default: u64,
        doc: &'static str,
        unit: &'static str,
    ) -> Self {
        Param::new(name, Ty::Int, Default::Value(Val::Int(default)), doc, unit)
    }

    /// An integer below 2^32.
    pub const fn int32(
        name: &'static str,
        default: u32,
        doc: &'static str,
        unit: &'static str,
    ) -> Self {
        Param::new(
            name,
            Ty::Int32,
            Default::Value(Val::Int(default as u64)),
            doc,
            unit,
        )
    }

    pub const fn bool(name: &'static str, default: bool, doc: &'static str) -> Self {
        Param::new(name, Ty::Bool, Default::Value(Val::Bool(default)), doc, "")
    }

    /// One of `choices`, `default` when absent.
    pub const fn choice(
        name: &'static str,
        choices: &'static [&'static str],
        default: &'static str,
        doc: &'static str,
    ) -> Self {
        Param::new(
            name,
            Ty::Choice(choices),
            Default::Value(Val::Choice(default)),
            doc,
            "",
        )
    }

    /// Without a default: absent means unset.
    pub const fn unset(self) -> Self {
        Param {
            default: Default::Unset,
            ..self
        }
    }

    /// Defaults to the value of the earlier parameter `name`.
    pub const fn same_as(self, name: &'static str) -> Self {
        Param {
            default: Default::Same(name),
            ..self
        }
    }

    /// Refuses values for which `ok` fails: "expected {expected}, got {value}".
    pub const fn check(self, ok: fn(&Val) -> bool, expected: &'static str) -> Self {
        Param {
            check: Some(Check {
                ok,
                expected,
                whole: false,
            }),
            ..self
        }
    }

    /// Refuses values for which `ok` fails with `message` as it stands.
    pub const fn check_message(self, ok: fn(&Val) -> bool, message: &'static str) -> Self {
        Param {
            check: Some(Check {
                ok,
                expected: message,
                whole: true,
            }),
            ..self
        }
    }

    /// A duration longer than 0.
    pub const fn positive(self) -> Self {
        self.check(|v| !v.duration().is_zero(), "a duration longer than 0")
    }

    pub const fn when(
        self,
        key: &'static str,
        value: &'static str,
        otherwise: &'static str,
    ) -> Self {
        Param {
            when: Some(When {
                key,
                value,
                otherwise,
            }),
            ..self
        }
    }

    pub const fn instead_of(self, other: &'static str) -> Self {
        Param {
            instead_of: Some(other),
            ..self
        }
    }

    pub const fn show(self, show: Show) -> Self {
        Param { show, ..self }
    }

    /// The default as listed: its value, the parameter it copies, `-` when unset, `None`
    /// when required.
    pub fn default_text(&self) -> Option<String> {
        match self.default {
            Default::Value(v) => Some(cell(self.ty, v)),
            Default::Same(name) => Some(name.to_string()),
            Default::Unset => Some("-".to_string()),
            Default::Required => None,
        }
    }

    /// What a valid value is, for a missing required parameter.
    fn expected(&self) -> &'static str {
        match (self.check, self.ty) {
            (Some(c), _) if !c.whole => c.expected,
            (_, Ty::Duration) => SimDuration::EXPECTED,
            (_, Ty::Float | Ty::Number) => f64::EXPECTED,
            (_, Ty::Int) => u64::EXPECTED,
            (_, Ty::Int32) => u32::EXPECTED,
            (_, Ty::Bool) => bool::EXPECTED,
            (_, Ty::Choice(_)) => String::EXPECTED,
        }
    }
}

/// A value as a listing shows it: durations and names unquoted.
fn cell(ty: Ty, v: Val) -> String {
    match v {
        Val::Duration(d) => d.to_string(),
        Val::Float(f) if ty == Ty::Float => format_float(f),
        Val::Float(f) => f.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::Choice(c) => c.to_string(),
    }
}

/// A value as config text.
fn config_text(ty: Ty, v: Val) -> String {
    match v {
        Val::Duration(_) | Val::Choice(_) => format!("\"{}\"", cell(ty, v)),
        _ => cell(ty, v),
    }
}

/// The description of a kind without parameters.
pub fn bare(kind: &str) -> String {
    format!("{{ kind = \"{kind}\" }}")
}

/// The values read from a kind's table.
pub struct Params<'a, 's> {
    kind: &'static str,
    sec: &'a Section<'s>,
    values: Vec<(&'static Param, Option<Val>)>,
}

impl<'a, 's> Params<'a, 's> {
    /// Reads every parameter of `table` (in its order) from `sec`, the table of kind `kind`.
    pub fn read(
        kind: &'static str,
        table: &'static [&'static [Param]],
        sec: &'a Section<'s>,
    ) -> Result<Self, ConfigError> {
        let mut params = Params {
            kind,
            sec,
            values: Vec::new(),
        };
        for p in table.iter().flat_map(|group| group.iter()) {
            let v = params.read_one(p, table)?;
            params.values.push((p, v));
        }
        Ok(params)
    }

    fn read_one(
        &self,
        p: &'static Param,
        table: &'static [&'static [Param]],
    ) -> Result<Option<Val>, ConfigError> {
        let sec = self.sec;
        let given = sec.contains(p.name);
        if let Some(w) = p.when
            && self.get(w.key) != Some(Val::Choice(w.value))
        {
            return if given {
                Err(sec.error(p.name, w.otherwise))
            } else {
                Ok(None)
            };
        }
        if let Some(other) = p.instead_of
            && given
            && sec.contains(other)
        {
            return Err(sec.error(
                p.name,
                format!("give either `{other}` or `{}`, not both", p.name),
            ));
        }
        if !given {
            let alternative_given = table.iter().flat_map(|g| g.iter()).any(|q| {
                (q.instead_of == Some(p.name) || p.instead_of == Some(q.name))
                    && sec.contains(q.name)
            });
            return match p.default {
                _ if alternative_given => Ok(None),
                Default::Value(v) => Ok(Some(v)),
                Default::Same(name) => Ok(self.get(name)),
                Default::Unset => Ok(None),
                Default::Required => Err(sec.missing(p.name, p.expected())),
            };
        }
        let v = match p.ty {
            Ty::Duration => Val::Duration(sec.req(p.name)?),
            Ty::Float | Ty::Number => Val::Float(sec.req(p.name)?),
            Ty::Int => Val::Int(sec.req(p.name)?),
            Ty::Int32 => Val::Int(u64::from(sec.req::<u32>(p.name)?)),
            Ty::Bool => Val::Bool(sec.req(p.name)?),
            Ty::Choice(choices) => {
                let name = sec.choice(p.name, None, choices)?;
                Val::Choice(
                    choices
                        .iter()
                        .find(|c| **c == name)
                        .expect("choice returns one of the choices"),
                )
            }
        };
        if let Some(c) = p.check
            && !(c.ok)(&v)
        {
            return Err(if c.whole {
                sec.error(p.name, c.expected)
            } else {
                let shown = sec
                    .get(p.name)
                    .map(Value::to_config_text)
                    .unwrap_or_default();
                sec.error(p.name, format!("expected {}, got {shown}", c.expected))
            });
        }
        Ok(Some(v))
    }

    fn slot(&self, name: &str) -> &Option<Val> {
        &self
            .values
            .iter()
            .find(|(p, _)| p.name == name)
            .unwrap_or_else(|| panic!("kind {} has no parameter {name}", self.kind))
            .1
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<Val> {
        self.values
            .iter()
            .find(|(p, _)| p.name == name)
            .and_then(|(_, v)| *v)
    }

    fn value(&self, name: &str) -> Val {
        self.slot(name)
            .unwrap_or_else(|| panic!("parameter {name} of kind {} is unset", self.kind))
    }

    pub fn duration(&self, name: &str) -> SimDuration {
        self.value(name).duration()
    }

    pub fn float(&self, name: &str) -> f64 {
        self.value(name).float()
    }

    pub fn int(&self, name: &str) -> u64 {
        self.value(name).int()
    }

    /// An integer parameter read as below 2^32 ([`Ty::Int32`]).
    pub fn int32(&self, name: &str) -> u32 {
        u32::try_from(self.int(name)).expect("32-bit parameters are read as such")
    }

    pub fn bool(&self, name: &str) -> bool {
        match self.value(name) {
            Val::Bool(b) => b,
            other => panic!("{other:?} is not a boolean"),
        }
    }

    pub fn choice(&self, name: &str) -> &'static str {
        match self.value(name) {
            Val::Choice(c) => c,
            other => panic!("{other:?} is not a choice"),
        }
    }

    /// Sets (or, with `None`, unsets) the resolved value of `name`.
    pub fn set(&mut self, name: &str, v: Option<Val>) {
        let kind = self.kind;
        let slot = self
            .values
            .iter_mut()
            .find(|(p, _)| p.name == name)
            .unwrap_or_else(|| panic!("kind {kind} has no parameter {name}"));
        slot.1 = v;
    }

    /// Whether the table gives `name`.
    pub fn given(&self, name: &str) -> bool {
        self.sec.contains(name)
    }

    /// An error about parameter `name`, at its line.
    pub fn error(&self, name: &str, message: impl Into<String>) -> ConfigError {
        self.sec.error(name, message)
    }

    /// Refuses the value of `name` when `ok` fails: "expected {expected}, got {value}", for
    /// checks that depend on other parameters.
    pub fn check(&self, name: &str, ok: bool, expected: &str) -> Result<(), ConfigError> {
        if ok {
            return Ok(());
        }
        let shown = self
            .sec
            .get(name)
            .map(Value::to_config_text)
            .unwrap_or_default();
        Err(self.error(name, format!("expected {expected}, got {shown}")))
    }

    /// The canonical description: `{ kind = "NAME", key = value, ... }` with every set
    /// value in table order, as config text.
    pub fn describe(&self) -> String {
        let mut text = format!("{{ kind = \"{}\"", self.kind);
        for (p, v) in &self.values {
            let Some(v) = v else { continue };
            let hidden = match p.show {
                Show::Always => false,
                Show::Never => true,
                Show::UnlessDefault => matches!(p.default, Default::Value(d) if d == *v),
            };
            if !hidden {
                text.push_str(&format!(", {} = {}", p.name, config_text(p.ty, *v)));
            }
        }
        text.push_str(" }");
        text
    }
}
