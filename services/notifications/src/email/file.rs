//! The file outbox for the embedded deployment: one `.eml` file per message in a directory,
//! so a newcomer can open what would have been sent in any mail client.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{EmailError, EmailSender, OutgoingEmail};

#[derive(Debug, Clone)]
pub struct FileOutbox {
    dir: PathBuf,
}

impl FileOutbox {
    /// An outbox writing into `dir`, created when missing.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, EmailError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|e| EmailError::Rejected(format!("email outbox {}: {e}", dir.display())))?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a message goes to: named after its Message-ID, so a resend of the same message
    /// replaces the file instead of adding a second one.
    pub fn path_for(&self, message_id: &str) -> PathBuf {
        let name: String = message_id
            .chars()
            .filter(|c| !matches!(c, '<' | '>'))
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.eml"))
    }
}

#[async_trait]
impl EmailSender for FileOutbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), EmailError> {
        let path = self.path_for(&email.message_id);
        let partial = path.with_extension("eml.partial");
        let bytes = email.message.formatted();
        // Write, sync, then rename: a reader never sees half a message, and a crash leaves at
        // most a `.partial` file behind.
        let write = async {
            use tokio::io::AsyncWriteExt;
            let mut file = tokio::fs::File::create(&partial).await?;
            file.write_all(&bytes).await?;
            file.sync_all().await?;
            tokio::fs::rename(&partial, &path).await
        };
        write
            .await
            .map_err(|e| EmailError::Transient(format!("writing {}: {e}", path.display())))
    }

    fn kind(&self) -> &'static str {
        "file"
    }
}
