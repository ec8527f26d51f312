//! `keyportal secret-key generate`: a valid server key for `KEYPORTAL_SECRET_KEY` or
//! `secret_key_file`, so setting up several nodes needs no guessing at the format.

use keyportal_service::Sealer;

use super::args::SecretKeyCommand;

pub fn run(command: SecretKeyCommand) -> Result<(), String> {
    match command {
        SecretKeyCommand::Generate => {
            let key = Sealer::generate_key_text();
            // Checked by the same reader the server uses, so what is printed always loads.
            Sealer::from_key_text(&key)?;
            println!("{key}");
            Ok(())
        }
    }
}
