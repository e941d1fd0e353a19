//! Reading config files: TOML text to the engine's config tree with line numbers, and
//! dotted-path overrides (`--set KEY=VALUE`, sweep cells) applied to that tree.

use sim_core::config::{ConfigError, Source, Table, Value, ValueKind};
use std::path::Path;
use toml::de::{DeTable, DeValue};

/// A config file read into a tree, with its source for error messages.
#[derive(Clone, Debug)]
pub struct Document {
    pub root: Table,
    pub source: Source,
}

/// Reads and parses a config file. Errors name the file and the line.
pub fn read_document(path: &Path) -> Result<Document, ConfigError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigError::new(format!("cannot read the config file: {}", describe_io(&e))).at(
            Some(&name),
            None,
            None,
        )
    })?;
    let text = decode_utf8(bytes).map_err(|e| e.at(Some(&name), None, None))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base = if base.as_os_str().is_empty() {
        ".".into()
    } else {
        base
    };
    parse_document(&text, Source::new(name, base))
}

/// Parses config text.
pub fn parse_document(text: &str, source: Source) -> Result<Document, ConfigError> {
    let lines = LineIndex::new(text);
    let parsed = DeTable::parse(text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start));
        let message = e.message().trim_end_matches('\n').replace('\n', "; ");
        ConfigError::new(format!("invalid TOML: {message}")).at(Some(&source.name), None, line)
    })?;
    let root = convert_table(parsed.get_ref(), "", &lines, &source)?;
    Ok(Document { root, source })
}

pub use sim_core::config::describe_io;

/// The text of a config file, or an error at the line of its first byte that is not
/// UTF-8, naming that byte's column (counted in characters from 1) and its offset in the
/// file.
pub fn decode_utf8(bytes: Vec<u8>) -> Result<String, ConfigError> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let valid = &bytes[..at];
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = valid.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        // The bytes before `at` are valid UTF-8, so the line's prefix counts in characters.
        let column = std::str::from_utf8(&valid[line_start..]).map_or(0, |p| p.chars().count()) + 1;
        ConfigError::new(format!(
            "the config is not valid UTF-8: byte 0x{:02X} at column {column} (offset {at} in the file); save the file as UTF-8",
            bytes[at]
        ))
        .at(None, None, Some(line))
    })
}

struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> u32 {
        (self.starts.partition_point(|&s| s <= offset)) as u32
    }
}

/// Converts a parsed table whose dotted path is `path` ("" for the root).
fn convert_table(
    t: &DeTable,
    path: &str,
    lines: &LineIndex,
    source: &Source,
) -> Result<Table, ConfigError> {
    let mut out = Table::new();
    for (key, value) in t.iter() {
        let line = lines.line(value.span().start);
        let name = key.get_ref().to_string();
        let key_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        out.insert(
            name,
            convert_value(value.get_ref(), &key_path, line, lines, source)?,
        );
    }
    Ok(out)
}

/// Converts a parsed value found at dotted path `key`; errors name the key and line.
fn convert_value(
    v: &DeValue,
    key: &str,
    line: u32,
    lines: &LineIndex,
    source: &Source,
) -> Result<Value, ConfigError> {
    let key = (!key.is_empty()).then_some(key);
    let kind = match v {
        DeValue::String(s) => ValueKind::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let parsed = match i.radix() {
                10 => digits.parse::<i64>(),
                radix => {
                    let body = digits.trim_start_matches('+');
                    let body = ["0x", "0o", "0b"]
                        .iter()
                        .find_map(|p| body.strip_prefix(p))
                        .unwrap_or(body);
                    i64::from_str_radix(body, radix)
                }
            };
            ValueKind::Int(parsed.map_err(|_| {
                ConfigError::new(format!(
                    "the integer {} does not fit in 64 bits",
                    i.as_str()
                ))
                .at(Some(&source.name), key, Some(line))
            })?)
        }
        DeValue::Float(f) => {
            let text = f.as_str().replace('_', "");
            let x = match text.as_str() {
                "inf" | "+inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" | "+nan" | "-nan" => f64::NAN,
                t => t.parse::<f64>().map_err(|_| {
                    ConfigError::new(format!("cannot read the number {}", f.as_str())).at(
                        Some(&source.name),
                        key,
                        Some(line),
                    )
                })?,
            };
            ValueKind::Float(x)
        }
        DeValue::Boolean(b) => ValueKind::Bool(*b),
        DeValue::Datetime(d) => {
            return Err(ConfigError::new(format!(
                "dates are not config values here (got {d}); durations are strings like \"10ms\""
            ))
            .at(Some(&source.name), key, Some(line)));
        }
        DeValue::Array(items) => ValueKind::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let item_key = format!("{}[{i}]", key.unwrap_or_default());
                    convert_value(
                        item.get_ref(),
                        &item_key,
                        lines.line(item.span().start),
                        lines,
                        source,
                    )
                })
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => {
            ValueKind::Table(convert_table(t, key.unwrap_or_default(), lines, source)?)
        }
    };
    Ok(Value::new(kind, Some(line)))
}

/// Parses the text of an override value: a TOML value (`800`, `1.5`, `true`, `"x"`,
/// `[1, 2]`, `{ dist = "constant", value = "5ms" }`), or else the text as a string (so
/// `--set faults.crash.mttf.mean=1m` needs no quotes).
pub fn parse_override_value(text: &str) -> Value {
    let trimmed = text.trim();
    if let Ok(v) = DeValue::parse(trimmed) {
        let lines = LineIndex::new(trimmed);
        let source = Source::inline();
        if let Ok(mut value) = convert_value(v.get_ref(), "", 1, &lines, &source) {
            strip_lines(&mut value);
            return value;
        }
    }
    Value::new(ValueKind::Str(trimmed.to_string()), None)
}

fn strip_lines(v: &mut Value) {
    v.line = None;
    match &mut v.kind {
        ValueKind::Array(items) => items.iter_mut().for_each(strip_lines),
        ValueKind::Table(t) => t.values_mut().for_each(strip_lines),
        _ => {}
    }
}

/// The segments of a dotted path: keys, each optionally indexing an array of tables
/// (`scripted[0]`). A segment in double quotes is one key whatever it holds, dots
/// included, as in TOML: `sweep."cluster.servers"`.
fn split_path(path: &str) -> Result<Vec<(String, Option<usize>)>, String> {
    if path.trim().is_empty() {
        return Err("the key is empty".into());
    }
    let mut segments = Vec::new();
    let mut rest = path;
    loop {
        let trimmed = rest.trim_start();
        let (name, after) = if let Some(quoted) = trimmed.strip_prefix('"') {
            let close = quoted
                .find('"')
                .ok_or_else(|| format!("`{path}` has a quote that is not closed"))?;
            (quoted[..close].to_string(), &quoted[close + 1..])
        } else {
            let end = trimmed.find('.').unwrap_or(trimmed.len());
            let seg = trimmed[..end].trim();
            if seg.is_empty() {
                return Err(format!("`{path}` has an empty segment"));
            }
            if seg.contains('"') {
                return Err(format!(
                    "`{seg}` holds a quote; quote a whole segment, like sweep.\"cluster.servers\""
                ));
            }
            match seg.split_once('[') {
                Some((name, index)) => {
                    let index = index
                        .strip_suffix(']')
                        .and_then(|i| i.parse::<usize>().ok())
                        .ok_or_else(|| format!("`{seg}` is not `name[index]`"))?;
                    segments.push((name.trim().to_string(), Some(index)));
                }
                None => segments.push((seg.to_string(), None)),
            }
            match trimmed[end..].strip_prefix('.') {
                Some(next) => {
                    rest = next;
                    continue;
                }
                None => return Ok(segments),
            }
        };
        if name.is_empty() {
            return Err(format!("`{path}` has an empty segment"));
        }
        // After a quoted key: an index, then a dot or the end.
        let after = after.trim_start();
        let (index, after) = match after.strip_prefix('[') {
            Some(inner) => {
                let close = inner
                    .find(']')
                    .ok_or_else(|| format!("`{path}`: an index is not closed"))?;
                let index = inner[..close]
                    .parse::<usize>()
                    .map_err(|_| format!("`{path}`: `[{}]` is not an index", &inner[..close]))?;
                (Some(index), inner[close + 1..].trim_start())
            }
            None => (None, after),
        };
        segments.push((name, index));
        if after.is_empty() {
            return Ok(segments);
        }
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None => return Err(format!("`{path}`: expected a dot after the quoted key")),
        }
    }
}

/// A dotted path in one spelling: segments trimmed, indices as `name[i]`. Sweep axes and
/// their columns use it, and so do comparisons of keys.
pub fn normalize_path(path: &str) -> Result<String, String> {
    let segments = split_path(path)?;
    let parts: Vec<String> = segments
        .into_iter()
        .map(|(name, index)| {
            // A key holding a dot is written quoted, so that the spelling reads back.
            let name = if name.contains('.') {
                format!("\"{name}\"")
            } else {
                name
            };
            match index {
                Some(i) => format!("{name}[{i}]"),
                None => name,
            }
        })
        .collect();
    Ok(parts.join("."))
}

/// Keys of a table in the order they were written (by line), then unplaced keys by name.
pub fn keys_in_file_order(t: &Table) -> Vec<String> {
    let mut keys: Vec<(&String, Option<u32>)> = t.iter().map(|(k, v)| (k, v.line)).collect();
    keys.sort_by_key(|(k, line)| (line.is_none(), line.unwrap_or(0), (*k).clone()));
    keys.into_iter().map(|(k, _)| k.clone()).collect()
}

/// Sets the value at a dotted path, creating missing tables on the way. Fails when the
/// path runs through something that is not a table, or indexes past an array's end.
pub fn set_path(root: &mut Table, path: &str, value: Value) -> Result<(), String> {
    let segments = split_path(path)?;
    let mut table = root;
    for (i, (name, index)) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match index {
            None if last => {
                table.insert(name.clone(), value);
                return Ok(());
            }
            None => {
                let entry = table
                    .entry(name.clone())
                    .or_insert_with(|| Value::new(ValueKind::Table(Table::new()), None));
                table = match &mut entry.kind {
                    ValueKind::Table(t) => t,
                    _ => {
                        let prefix: Vec<&str> =
                            segments[..=i].iter().map(|(n, _)| n.as_str()).collect();
                        return Err(format!(
                            "`{}` is not a table, so `{path}` cannot be set",
                            prefix.join(".")
                        ));
                    }
                };
            }
            Some(ix) => {
                let entry = table
                    .get_mut(name)
                    .ok_or_else(|| format!("`{name}` does not exist, so `{path}` cannot be set"))?;
                let ValueKind::Array(items) = &mut entry.kind else {
                    return Err(format!(
                        "`{name}` is not an array, so `{path}` cannot be set"
                    ));
                };
                let len = items.len();
                let item = items.get_mut(*ix).ok_or_else(|| {
                    format!("`{name}` has {len} entries, so `{name}[{ix}]` does not exist")
                })?;
                if last {
                    *item = value;
                    return Ok(());
                }
                table = match &mut item.kind {
                    ValueKind::Table(t) => t,
                    _ => {
                        return Err(format!(
                            "`{name}[{ix}]` is not a table, so `{path}` cannot be set"
                        ));
                    }
                };
            }
        }
    }
    unreachable!("the loop returns at the last segment")
}

/// The value at a dotted path, if present.
pub fn get_path<'a>(root: &'a Table, path: &str) -> Option<&'a Value> {
    let segments = split_path(path).ok()?;
    let mut table = root;
    for (i, (name, index)) in segments.iter().enumerate() {
        let mut v = table.get(name)?;
        if let Some(ix) = index {
            let ValueKind::Array(items) = &v.kind else {
                return None;
            };
            v = items.get(*ix)?;
        }
        if i + 1 == segments.len() {
            return Some(v);
        }
        let ValueKind::Table(t) = &v.kind else {
            return None;
        };
        table = t;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[experiment]\nname = \"x\"\nseed = 0x10\n\n[cluster]\nservers = 8\nservice = { dist = \"exponential\", mean = \"10ms\" }\n\n[[faults.scripted]]\nat = \"5m\"\nkind = \"crash\"\n";

    #[test]
    fn values_carry_their_lines() {
        let doc = parse_document(TEXT, Source::inline()).unwrap();
        let cluster = get_path(&doc.root, "cluster.servers").unwrap();
        assert_eq!(cluster.line, Some(6));
        assert_eq!(cluster.kind, ValueKind::Int(8));
        assert_eq!(
            get_path(&doc.root, "experiment.seed").unwrap().kind,
            ValueKind::Int(16)
        );
        assert_eq!(
            get_path(&doc.root, "faults.scripted[0].kind").unwrap().line,
            Some(11)
        );
        assert_eq!(
            get_path(&doc.root, "cluster.service.mean").unwrap().line,
            Some(7)
        );
    }

    #[test]
    fn invalid_utf8_names_the_line_column_and_offset() {
        let e = decode_utf8(b"[a]\nname = \"caf\xC3\xA9 \xFF\"\n".to_vec()).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            "the config is not valid UTF-8: byte 0xFF at column 14 (offset 18 in the file); save the file as UTF-8"
        );
        assert_eq!(decode_utf8(b"ok\n".to_vec()).unwrap(), "ok\n");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e =
            parse_document("[cluster]\nservers = = 3\n", Source::new("bad.toml", ".")).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.to_string().starts_with("bad.toml:2: invalid TOML"), "{e}");
    }

    #[test]
    fn overrides_parse_toml_or_fall_back_to_strings() {
        assert_eq!(parse_override_value("800").kind, ValueKind::Int(800));
        assert_eq!(parse_override_value("0.5").kind, ValueKind::Float(0.5));
        assert_eq!(parse_override_value("1m").kind, ValueKind::Str("1m".into()));
        assert_eq!(
            parse_override_value("\"round-robin\"").kind,
            ValueKind::Str("round-robin".into())
        );
        assert!(matches!(
            parse_override_value("{ dist = \"constant\", value = \"5ms\" }").kind,
            ValueKind::Table(_)
        ));
    }

    #[test]
    fn paths_normalize_to_one_spelling() {
        assert_eq!(
            normalize_path(" faults.scripted[0] . at").unwrap(),
            "faults.scripted[0].at"
        );
        assert!(normalize_path("a..b").is_err());
        assert!(normalize_path("a[x].b").is_err());
    }

    #[test]
    fn quoted_segments_are_one_key_each() {
        assert_eq!(
            split_path(r#"sweep."cluster.servers""#).unwrap(),
            [
                ("sweep".to_string(), None),
                ("cluster.servers".to_string(), None)
            ]
        );
        assert_eq!(
            split_path(r#"faults."scripted"[1].at"#).unwrap(),
            [
                ("faults".to_string(), None),
                ("scripted".to_string(), Some(1)),
                ("at".to_string(), None)
            ]
        );
        assert_eq!(
            normalize_path(r#" sweep . "faults.crash.mttf.mean" "#).unwrap(),
            r#"sweep."faults.crash.mttf.mean""#
        );
        assert_eq!(normalize_path("a.b[2].c").unwrap(), "a.b[2].c");
        assert!(
            split_path(r#"sweep."open"#)
                .unwrap_err()
                .contains("not closed")
        );
        assert!(split_path(r#"a"b.c"#).unwrap_err().contains("quote"));
        assert!(split_path(r#""a"b"#).unwrap_err().contains("dot after"));
        let mut root = Table::new();
        set_path(
            &mut root,
            r#"sweep."cluster.servers""#,
            Value::new(ValueKind::Int(4), None),
        )
        .unwrap();
        let ValueKind::Table(sweep) = &root["sweep"].kind else {
            panic!("a table")
        };
        assert!(sweep.contains_key("cluster.servers"));
    }

    #[test]
    fn set_path_creates_tables_and_indexes_arrays() {
        let mut doc = parse_document(TEXT, Source::inline()).unwrap();
        set_path(
            &mut doc.root,
            "workload.arrivals.rate",
            parse_override_value("800"),
        )
        .unwrap();
        assert_eq!(
            get_path(&doc.root, "workload.arrivals.rate").unwrap().kind,
            ValueKind::Int(800)
        );
        set_path(
            &mut doc.root,
            "faults.scripted[0].at",
            parse_override_value("1m"),
        )
        .unwrap();
        assert_eq!(
            get_path(&doc.root, "faults.scripted[0].at").unwrap().kind,
            ValueKind::Str("1m".into())
        );
        let e = set_path(
            &mut doc.root,
            "cluster.servers.x",
            parse_override_value("1"),
        )
        .unwrap_err();
        assert!(e.contains("`cluster.servers` is not a table"), "{e}");
        let e = set_path(
            &mut doc.root,
            "faults.scripted[3].at",
            parse_override_value("1m"),
        )
        .unwrap_err();
        assert!(e.contains("has 1 entries"), "{e}");
    }
}
