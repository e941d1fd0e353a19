//! Counts over a sliding time window kept in a fixed number of slices, as Finagle's
//! `WindowedAdder`: the window is `SLICES` slices of `window / SLICES` each, counts expire a
//! whole slice at a time, so a sum covers between `(SLICES - 1) / SLICES` of the window
//! and all of it. Memory is fixed whatever the rate.

use sim_core::{SimDuration, SimTime};
use std::ops::Add;

/// Slices per window.
pub const SLICES: usize = 10;

#[derive(Clone, Debug)]
pub struct SlicedWindow<T> {
    slices: [T; SLICES],
    width_ns: u64,
    /// Absolute number of the newest slice (time / width).
    current: u64,
}

impl<T: Copy + Default + Add<Output = T>> SlicedWindow<T> {
    pub fn new(window: SimDuration) -> Self {
        SlicedWindow {
            slices: [T::default(); SLICES],
            width_ns: (window.0 / SLICES as u64).max(1),
            current: 0,
        }
    }

    /// Moves the window to `now`, clearing slices that fell out of it.
    fn advance(&mut self, now: SimTime) {
        let slice = now.0 / self.width_ns;
        if slice <= self.current {
            return;
        }
        let steps = (slice - self.current).min(SLICES as u64);
        for k in 1..=steps {
            self.slices[((self.current + k) % SLICES as u64) as usize] = T::default();
        }
        self.current = slice;
    }

    pub fn add(&mut self, now: SimTime, value: T) {
        self.advance(now);
        let slot = &mut self.slices[(self.current % SLICES as u64) as usize];
        *slot = *slot + value;
    }

    /// The sum over the window ending at `now`.
    pub fn sum(&mut self, now: SimTime) -> T {
        self.advance(now);
        self.slices.iter().fold(T::default(), |acc, &x| acc + x)
    }

    pub fn clear(&mut self) {
        self.slices = [T::default(); SLICES];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_expire_a_slice_at_a_time() {
        // A 1 s window in ten 100 ms slices.
        let mut w = SlicedWindow::<i64>::new(SimDuration::from_secs(1));
        let ms = |x: u64| SimTime(x * 1_000_000);
        w.add(ms(50), 3); // slice 0
        w.add(ms(950), 4); // slice 9
        assert_eq!(w.sum(ms(999)), 7);
        // At 1000 ms slice 10 replaces slice 0: the 3 expire, after 950 to 1000 ms.
        assert_eq!(w.sum(ms(1_000)), 4);
        assert_eq!(w.sum(ms(1_899)), 4);
        assert_eq!(w.sum(ms(1_900)), 0);
        w.add(ms(5_000), 2);
        assert_eq!(w.sum(ms(5_000)), 2);
        w.clear();
        assert_eq!(w.sum(ms(5_000)), 0);
    }
}
