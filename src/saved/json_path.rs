//! Which field of a JSON text a parse error points at.
//!
//! serde_json reports a line and column but not the field; the config errors name the field
//! (`data.max_len`, `model.kernel_widths[1]`) by scanning the text up to that position.

/// One level of nesting on the way to the error position.
enum Frame {
    /// Inside an object, after the key last read (if any).
    Object(Option<String>),
    /// Inside an array, at this element.
    Array(usize),
}

/// The dotted path (`data.max_len`, `model.kernel_widths[1]`) of the value at 1-based
/// `line` and `column` of `text`; empty at the top level.
pub fn json_path_at(text: &str, line: usize, column: usize) -> String {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut end = (line_start + column).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut expect_key = false;
    let mut chars = text[..end].chars();
    while let Some(c) = chars.next() {
        match c {
            '{' => {
                stack.push(Frame::Object(None));
                expect_key = true;
            }
            '[' => {
                stack.push(Frame::Array(0));
                expect_key = false;
            }
            '}' | ']' => {
                stack.pop();
            }
            ',' => match stack.last_mut() {
                Some(Frame::Array(index)) => *index += 1,
                Some(Frame::Object(_)) => expect_key = true,
                None => {}
            },
            ':' => expect_key = false,
            '"' => {
                let string = read_string(&mut chars);
                if expect_key && let Some(Frame::Object(key)) = stack.last_mut() {
                    *key = Some(string);
                }
            }
            _ => {}
        }
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// The rest of a string literal whose opening quote was just read (escapes kept as written).
fn read_string(chars: &mut std::str::Chars<'_>) -> String {
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => {
                out.push(c);
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        let err = serde_json::from_str::<T>(text).unwrap_err();
        json_path_at(text, err.line(), err.column())
    }

    #[test]
    fn names_nested_fields_and_array_elements() {
        type Doc = std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<u32>>>;
        assert_eq!(
            path_of_error::<Doc>(r#"{"a": {"b": [1, 2]}, "model": {"widths": [3, "x"]}}"#),
            "model.widths[1]"
        );
        assert_eq!(
            path_of_error::<Doc>("{\n  \"data\": {\n    \"n\": [\"q\\\"}\"]\n  }\n}"),
            "data.n[0]"
        );
    }
}
