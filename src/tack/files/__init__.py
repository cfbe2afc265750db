"""The file store: uploaded bytes (attachments, images, signatures, avatars) kept under the
data directory, content-addressed per organization, with limits, sniffed types and checksums.

`service.py` holds the commands (upload, delete) and queries; `storage.py` the plug-in storage
backends (local filesystem now, S3-compatible later); `upload.py` reads a multipart upload as a
stream; `sniff.py` tells a file's type from its bytes; `verify.py` re-hashes what is stored.
"""
