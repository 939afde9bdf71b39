//! Fuzz the scenario parser: any text must give a scenario or ONE error naming
//! the file — never a panic, a hang or an allocation blow-up. Accepted scenarios
//! are also rendered back to YAML when possible and must parse again, so the
//! renderer used by `flapsim check` is fuzzed along the way.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match flapsim::scenario::parse(text, "fuzz.yaml") {
        Ok(s) => {
            if let Ok(yaml) = flapsim::scenario::render::to_yaml(&s) {
                if let Err(e) = flapsim::scenario::parse(&yaml, "fuzz.yaml") {
                    panic!("rendered scenario refused: {e}\n{yaml}");
                }
            }
        }
        Err(e) => assert_eq!(e.file, "fuzz.yaml"),
    }
});
