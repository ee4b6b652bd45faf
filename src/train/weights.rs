//! Weights in safetensors files, loaded only after every entry is checked.
//!
//! dfdx's own loader panics on a setting it cannot convert (a kernel width of NaN or −3),
//! silently falls back to a default for a missing setting, and accepts NaN weights. This
//! loader reads the file's header itself and checks each entry against the model built from
//! its config: every tensor present with its dtype and shape and only finite values, every
//! setting (kernel width, padding, gates, pooling, dropout) equal to the config's, nothing
//! extra. Damage is an error naming the file and the entry, never a panic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dfdx::nn::tensor_collection::TensorCollection;
use dfdx::prelude::*;
use serde::Deserialize;

use super::tensor_walk::{LentTensor, Visit, walk_mut};

/// A weights file that cannot be written, read or used for this model.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("cannot save weights to {path}: {message}", path = path.display())]
    Save { path: PathBuf, message: String },
    #[error("cannot read weights {path}: {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a safetensors file, or is cut short.
    #[error("{path}: not a valid safetensors file: {reason}", path = path.display())]
    Format { path: PathBuf, reason: String },
    #[error("{path}: tensor `{tensor}` is missing (the file belongs to another model or is damaged)", path = path.display())]
    Missing { path: PathBuf, tensor: String },
    #[error("{path}: unexpected entry `{tensor}` (the file belongs to another model or is damaged)", path = path.display())]
    Unexpected { path: PathBuf, tensor: String },
    #[error("{path}: tensor `{tensor}` has dtype {found}, expected {expected}", path = path.display())]
    Dtype {
        path: PathBuf,
        tensor: String,
        found: String,
        expected: &'static str,
    },
    #[error("{path}: tensor `{tensor}` has shape {found:?}, the model's config gives {expected:?}", path = path.display())]
    Shape {
        path: PathBuf,
        tensor: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("{path}: tensor `{tensor}` holds {value} at element {index} (expected finite weights)", path = path.display())]
    NonFinite {
        path: PathBuf,
        tensor: String,
        index: usize,
        value: f32,
    },
    /// A stored setting disagrees with the config the model was built from.
    #[error("{path}: setting `{tensor}` is {found} in the file, the model's config gives {expected}", path = path.display())]
    Setting {
        path: PathBuf,
        tensor: String,
        found: f64,
        expected: f64,
    },
}

/// Saves a model's tensors and settings to a safetensors file.
pub fn save_weights<M: TensorCollection<f32, Cpu>>(
    model: &M,
    path: &Path,
) -> Result<(), WeightsError> {
    model
        .save_safetensors(path)
        .map_err(|e| WeightsError::Save {
            path: path.to_path_buf(),
            message: format!("{e:?}"),
        })
}

/// Loads weights from `path` into `model`, which must have been built from the config the
/// file was written with; see the module docs for the checks.
pub fn load_weights<M: TensorCollection<f32, Cpu>>(
    model: &mut M,
    path: &Path,
) -> Result<(), WeightsError> {
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_weights_from_bytes(model, &bytes, path)
}

/// [`load_weights`] for a file already in memory; `path` names it in errors. On an error the
/// model may hold some of the file's tensors: discard it.
pub fn load_weights_from_bytes<M: TensorCollection<f32, Cpu>>(
    model: &mut M,
    bytes: &[u8],
    path: &Path,
) -> Result<(), WeightsError> {
    let entries = parse_header(bytes, path)?;
    let mut loader = Loader {
        entries: &entries,
        path,
        seen: BTreeSet::new(),
    };
    walk_mut(model, &mut Vec::new(), &mut loader)?;
    let seen = loader.seen;
    if let Some(extra) = entries.names().find(|name| !seen.contains(*name)) {
        return Err(WeightsError::Unexpected {
            path: path.to_path_buf(),
            tensor: extra.to_string(),
        });
    }
    Ok(())
}

/// One entry of the header: `{"dtype", "shape", "data_offsets"}`.
#[derive(Deserialize)]
struct HeaderEntry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

/// The entries of a file, each with its bytes.
struct Entries<'a> {
    by_name: BTreeMap<String, (HeaderEntry, &'a [u8])>,
}

impl Entries<'_> {
    fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// Reads the 8-byte header length, the JSON header and the data region's bounds.
fn parse_header<'a>(bytes: &'a [u8], path: &Path) -> Result<Entries<'a>, WeightsError> {
    let bad = |reason: String| WeightsError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let len_bytes: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            bad(format!(
                "{} bytes, shorter than the header length",
                bytes.len()
            ))
        })?;
    let header_len = u64::from_le_bytes(len_bytes);
    let data_start = usize::try_from(header_len)
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            bad(format!(
                "header length {header_len} runs past the end of the file"
            ))
        })?;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..data_start]).map_err(|e| bad(format!("header: {e}")))?;
    let data = &bytes[data_start..];
    let mut by_name = BTreeMap::new();
    for (name, value) in header {
        if name == "__metadata__" {
            continue;
        }
        let entry = HeaderEntry::deserialize(value)
            .map_err(|e| bad(format!("header entry `{name}`: {e}")))?;
        let [start, end] = entry.data_offsets;
        let element = dtype_size(&entry.dtype)
            .ok_or_else(|| bad(format!("entry `{name}` has unknown dtype {}", entry.dtype)))?;
        let expected = entry
            .shape
            .iter()
            .try_fold(element, |n, &d| n.checked_mul(d));
        if start > end || end > data.len() || expected != Some(end - start) {
            return Err(bad(format!(
                "entry `{name}` has data offsets {start}..{end}, which do not fit its shape {:?} \
                 and the {}-byte data region",
                entry.shape,
                data.len()
            )));
        }
        by_name.insert(name, (entry, &data[start..end]));
    }
    Ok(Entries { by_name })
}

/// Bytes per element of a safetensors dtype.
fn dtype_size(dtype: &str) -> Option<usize> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" => 1,
        "F16" | "BF16" | "U16" | "I16" => 2,
        "F32" | "U32" | "I32" => 4,
        "F64" | "U64" | "I64" => 8,
        _ => return None,
    })
}

/// The visit that checks each of the model's entries against the file and copies it in.
struct Loader<'e, 'a> {
    entries: &'e Entries<'a>,
    path: &'e Path,
    seen: BTreeSet<String>,
}

impl<'a> Loader<'_, 'a> {
    /// The entry `name` with dtype `dtype` and shape `shape`.
    fn entry(
        &mut self,
        name: &str,
        dtype: &'static str,
        shape: &[usize],
    ) -> Result<&'a [u8], WeightsError> {
        let path = self.path.to_path_buf();
        let tensor = name.to_string();
        let Some((entry, data)) = self.entries.by_name.get(name) else {
            return Err(WeightsError::Missing { path, tensor });
        };
        self.seen.insert(tensor.clone());
        if entry.dtype != dtype {
            return Err(WeightsError::Dtype {
                path,
                tensor,
                found: entry.dtype.clone(),
                expected: dtype,
            });
        }
        if entry.shape != shape {
            return Err(WeightsError::Shape {
                path,
                tensor,
                found: entry.shape.clone(),
                expected: shape.to_vec(),
            });
        }
        Ok(data)
    }
}

impl Visit<f32> for Loader<'_, '_> {
    type Err = WeightsError;

    fn tensor(&mut self, tensor: LentTensor<'_, f32>) -> Result<(), WeightsError> {
        let data = self.entry(tensor.name, "F32", tensor.shape)?;
        for (value, bytes) in tensor.values.iter_mut().zip(data.chunks_exact(4)) {
            *value = f32::from_le_bytes(bytes.try_into().expect("4 bytes"));
        }
        let mut values = tensor.values.iter().enumerate();
        if let Some((index, &value)) = values.find(|(_, v)| !v.is_finite()) {
            return Err(WeightsError::NonFinite {
                path: self.path.to_path_buf(),
                tensor: tensor.name.to_string(),
                index,
                value,
            });
        }
        Ok(())
    }

    /// The model's own setting is kept: the file may only confirm it.
    fn setting(&mut self, name: &str, expected: f64) -> Result<(), WeightsError> {
        let data = self.entry(name, "F64", &[])?;
        let found = f64::from_le_bytes(data.try_into().expect("8 bytes"));
        if found.to_bits() != expected.to_bits() && found != expected {
            return Err(WeightsError::Setting {
                path: self.path.to_path_buf(),
                tensor: name.to_string(),
                found,
                expected,
            });
        }
        Ok(())
    }
}
