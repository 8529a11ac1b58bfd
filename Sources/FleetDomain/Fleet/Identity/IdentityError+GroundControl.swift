import FleetIdentity

extension GroundControlError {
    /// The one mapping of an identity refusal to the API: what the caller sent is a bad field
    /// (400); a certificate that does not prove who the caller is, is no credential (401).
    init(_ error: IdentityError, field: String) {
        switch error.code {
        case .malformed, .weakKey:
            let message = error.message.hasPrefix("\(field):") ? error.message : "\(field): \(error.message)"
            self.init(.invalidField, message)
        case .untrusted, .outsideValidity, .wrongIdentity:
            self.init(.unauthorized, error.message)
        }
    }
}
