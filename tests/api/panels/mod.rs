//! Blind panel scoring over the API: the workflow end to end, the panel part of a composite
//! stage, independence, and blindness (the leak scan, a member's reach, independent scores).

mod composite;
mod independence;
mod leak_scan;
mod reach;
mod scores;
mod support;
mod workflow;
