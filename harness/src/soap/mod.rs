//! SOAP envelopes: building requests and reading faults and status from responses.
