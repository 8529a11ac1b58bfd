import HTTPTypes

extension HTTPField.Name {
    // Force-unwraps of constant, known-valid header names: not external data.
    package static let dockerContentDigest = HTTPField.Name("Docker-Content-Digest")!
    package static let dockerUploadUUID = HTTPField.Name("Docker-Upload-UUID")!
    package static let dockerDistributionAPIVersion = HTTPField.Name("Docker-Distribution-API-Version")!
    package static let ociSubject = HTTPField.Name("OCI-Subject")!
    package static let ociFiltersApplied = HTTPField.Name("OCI-Filters-Applied")!
    package static let link = HTTPField.Name("Link")!
    package static let satellitePlan = HTTPField.Name("Satellite-Plan")!
}
