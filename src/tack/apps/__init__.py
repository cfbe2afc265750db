"""Apps: what an organization builds — a named bundle of forms (flows, reports and automations
join later), each form versioned so records keep the definition they were written under."""
