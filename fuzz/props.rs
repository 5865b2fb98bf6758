//! What each fuzz target checks, in one place: the targets in
//! `fuzz/fuzz_targets/` call these on the fuzzer's inputs, and
//! `tests/fuzz_seeds.rs` calls them on the kept seeds in `fuzz/seeds/`, so
//! CI replays every seed against the same checks.

use blazes::dist::wire::{self, Message};
use blazes::report::{self, Format, Options, Outcome, Status};

/// The frame decoder on `data`: decoding never panics, whatever the bytes.
/// `data` is also read as a body under its own valid checksum (the fuzzer
/// would almost never guess a CRC-32), and a message decoded from it must
/// re-encode to bytes that decode to the same message.
pub fn wire_frame(data: &[u8]) {
    let _ = wire::decode_message(data);
    let mut framed = data.to_vec();
    framed.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    match wire::decode_message(&framed) {
        Ok(Message::Frame(frame)) => {
            let again = wire::encode(&frame).expect("a decoded frame encodes");
            assert_eq!(
                wire::decode(&again).ok(),
                Some(frame),
                "a frame round-trips"
            );
        }
        Ok(Message::Registration(registration)) => {
            let again =
                wire::encode_registration(&registration).expect("a decoded registration encodes");
            match wire::decode_message(&again) {
                Ok(Message::Registration(back)) => assert_eq!(back, registration),
                other => panic!("a registration re-decoded as {other:?}"),
            }
        }
        Ok(Message::Retirement(retirement)) => {
            let again = wire::encode_retirement(&retirement).expect("a decoded retirement encodes");
            match wire::decode_message(&again) {
                Ok(Message::Retirement(back)) => assert_eq!(back, retirement),
                other => panic!("a retirement re-decoded as {other:?}"),
            }
        }
        Err(_) => {}
    }
}

/// `blazes check` on `data` as a file named `name` (its extension chooses
/// the grey-box or the SQL reader): reading, analysing and printing in every
/// format never panic, and a file that cannot be analysed says why on
/// standard error.
pub fn checked_file(name: &str, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let outcome = report::check_text(name, text, report::front_end);
    let invalid = outcome.status() == Status::Invalid;
    if let Outcome::Rejected(error) = &outcome {
        assert!(!error.render().is_empty(), "a refused file says why");
    }
    for format in [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Dot,
    ] {
        let options = Options {
            format,
            ..Options::default()
        };
        let printed = report::print(std::slice::from_ref(&outcome), &options);
        assert_eq!(printed.status == Status::Invalid, invalid);
        if invalid {
            assert!(
                !printed.stderr.is_empty(),
                "{format:?}: an invalid file says why"
            );
        }
    }
}
