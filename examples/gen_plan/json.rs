//! A small streaming JSON writer: compact output (as `terraform show -json` prints it) with the
//! comma bookkeeping done here, so a plan of any size is written piece by piece and never held
//! in memory as a whole. Leaves and small subtrees are written with serde.

use serde::Serialize;
use std::io::{self, Write};

/// Counts the bytes that pass through, so size targets can be met without writing files.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The writer. Every method that starts a value takes care of the separator before it.
pub struct JsonOut<W: Write> {
    w: Counting<W>,
    /// One entry per open object or array: true until its first member is written.
    first: Vec<bool>,
    /// A key was just written: the next value belongs to it and needs no separator.
    after_key: bool,
}

impl<W: Write> JsonOut<W> {
    pub fn new(w: W) -> Self {
        JsonOut {
            w: Counting { inner: w, bytes: 0 },
            first: Vec::new(),
            after_key: false,
        }
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.w.bytes
    }

    /// Flush and hand back the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        debug_assert!(self.first.is_empty(), "unclosed JSON container");
        self.w.flush()?;
        Ok(self.w.inner)
    }

    fn separate(&mut self) -> io::Result<()> {
        if self.after_key {
            self.after_key = false;
            return Ok(());
        }
        if let Some(first) = self.first.last_mut() {
            if *first {
                *first = false;
            } else {
                self.w.write_all(b",")?;
            }
        }
        Ok(())
    }

    /// Start an object (as the value of the last key, an array element, or the document).
    pub fn begin_object(&mut self) -> io::Result<()> {
        self.separate()?;
        self.first.push(true);
        self.w.write_all(b"{")
    }

    pub fn end_object(&mut self) -> io::Result<()> {
        self.first.pop();
        self.w.write_all(b"}")
    }

    pub fn begin_array(&mut self) -> io::Result<()> {
        self.separate()?;
        self.first.push(true);
        self.w.write_all(b"[")
    }

    pub fn end_array(&mut self) -> io::Result<()> {
        self.first.pop();
        self.w.write_all(b"]")
    }

    /// Write an object key; the next call writes its value.
    pub fn key(&mut self, k: &str) -> io::Result<()> {
        self.separate()?;
        serde_json::to_writer(&mut self.w, k)?;
        self.w.write_all(b":")?;
        self.after_key = true;
        Ok(())
    }

    /// Write a whole value (a leaf or a small subtree).
    pub fn value<T: Serialize + ?Sized>(&mut self, v: &T) -> io::Result<()> {
        self.separate()?;
        serde_json::to_writer(&mut self.w, v)?;
        Ok(())
    }

    /// `"k": v`
    pub fn field<T: Serialize + ?Sized>(&mut self, k: &str, v: &T) -> io::Result<()> {
        self.key(k)?;
        self.value(v)
    }

    /// `"k": {` — close it with [`JsonOut::end_object`].
    pub fn object_field(&mut self, k: &str) -> io::Result<()> {
        self.key(k)?;
        self.begin_object()
    }

    /// `"k": [` — close it with [`JsonOut::end_array`].
    pub fn array_field(&mut self, k: &str) -> io::Result<()> {
        self.key(k)?;
        self.begin_array()
    }
}
