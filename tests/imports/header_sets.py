"""Header rows of real exports and templates, for the tests of every part of the import.

Each list is the header row exactly as the product writes it, in its column order.
"""

# Okta: Directory → People → "Import Users from CSV" template, whose columns are the default
# Okta user profile attributes (Okta developer docs, "User profile" default properties; the
# template's header as quoted in the Okta support forum question "import CSV attributes format",
# support.okta.com, 2020). Exports made through the API or tools (e.g. rockstar) use these names.
OKTA_USERS = [
    "login",
    "firstName",
    "lastName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
    "email",
    "title",
    "displayName",
    "nickName",
    "profileUrl",
    "secondEmail",
    "mobilePhone",
    "primaryPhone",
    "streetAddress",
    "city",
    "state",
    "zipCode",
    "countryCode",
    "postalAddress",
    "preferredLanguage",
    "locale",
    "timezone",
    "userType",
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "managerId",
    "manager",
]

# Okta: Reports → "Okta Password Health" CSV (help.okta.com, "Okta Password Health Report").
OKTA_PASSWORD_HEALTH = [
    "User",
    "Login",
    "Status",
    "Activation date",
    "Authentication Source",
    "Last Login",
    "Last Password Change",
]

# Google Workspace: Admin console → Directory → Users → "Download users" (all columns), as the
# admin console writes it in 2025-2026 (seen in public test fixtures of tools that parse it;
# columns described in Google's help "Add or update multiple users from a CSV file",
# support.google.com/a/answer/40057).
GOOGLE_WORKSPACE_USERS = [
    "First Name [Required]",
    "Last Name [Required]",
    "Email Address [Required]",
    "Password [Required]",
    "Password Hash Function [UPLOAD ONLY]",
    "Org Unit Path [Required]",
    "New Primary Email [UPLOAD ONLY]",
    "Status [READ ONLY]",
    "Last Sign In [READ ONLY]",
    "Recovery Email",
    "Home Secondary Email",
    "Work Secondary Email",
    "Recovery Phone [MUST BE IN THE E.164 FORMAT]",
    "Work Phone",
    "Home Phone",
    "Mobile Phone",
    "Work Address",
    "Home Address",
    "Employee ID",
    "Employee Type",
    "Employee Title",
    "Manager Email",
    "Department",
    "Cost Center",
    "2sv Enrolled [READ ONLY]",
    "2sv Enforced [READ ONLY]",
    "Building ID",
    "Floor Name",
    "Floor Section",
    "Email Usage [READ ONLY]",
    "Drive Usage [READ ONLY]",
    "Photos Usage [READ ONLY]",
    "Storage limit [READ ONLY]",
    "Storage Used [READ ONLY]",
    "Change Password at Next Sign-In",
    "New Status [UPLOAD ONLY]",
    "Gemini Limit Status [READ ONLY]",
]

# Google Workspace: "Bulk update users" → "Download blank CSV template" (same help page).
GOOGLE_WORKSPACE_TEMPLATE = [
    "First Name [Required]",
    "Last Name [Required]",
    "Email Address [Required]",
    "Password [Required]",
    "Password Hash Function [UPLOAD ONLY]",
    "Org Unit Path [Required]",
    "New Primary Email [UPLOAD ONLY]",
    "Recovery Email",
    "Home Secondary Email",
    "Work Secondary Email",
    "Recovery Phone [MUST BE IN THE E.164 FORMAT]",
    "Work Phone",
    "Home Phone",
    "Mobile Phone",
    "Work Address",
    "Home Address",
    "Employee ID",
    "Employee Type",
    "Employee Title",
    "Manager Email",
    "Department",
    "Cost Center",
    "Building ID",
    "Floor Name",
    "Floor Section",
    "Change Password at Next Sign-In",
    "New Status [UPLOAD ONLY]",
    "New Licenses [UPLOAD ONLY]",
    "Advanced Protection Program enrollment",
]

# Microsoft Entra admin center: Users → All users → "Download users" (attribute list in
# MicrosoftDocs/entra-docs, docs/identity/users/users-bulk-download.md; the downloaded file also
# carries authenticationPhoneNumber, as public tools that read it show).
ENTRA_USERS = [
    "userPrincipalName",
    "displayName",
    "surname",
    "mail",
    "givenName",
    "objectId",
    "userType",
    "jobTitle",
    "department",
    "accountEnabled",
    "usageLocation",
    "streetAddress",
    "state",
    "country",
    "physicalDeliveryOfficeName",
    "city",
    "postalCode",
    "telephoneNumber",
    "mobile",
    "authenticationPhoneNumber",
    "authenticationAlternativePhoneNumber",
    "authenticationEmail",
    "alternateEmailAddress",
    "ageGroup",
    "consentProvidedForMinor",
    "legalAgeGroupClassification",
]

# Microsoft Entra admin center: Users → "Bulk create" template, whose headers are
# "<Item name> [PropertyName] <Required or blank>" below a "version:v1.0" line
# (MicrosoftDocs/entra-docs, docs/identity/users/users-bulk-add.md).
ENTRA_BULK_CREATE = [
    "Name [displayName] Required",
    "User name [userPrincipalName] Required",
    "Initial password [passwordProfile] Required",
    "Block sign in (Yes/No) [accountEnabled] Required",
    "First name [givenName]",
    "Last name [surname]",
    "Job title [jobTitle]",
    "Department [department]",
    "Usage location [usageLocation]",
    "Street address [streetAddress]",
    "State or province [state]",
    "Country or region [country]",
    "Office [physicalDeliveryOfficeName]",
    "City [city]",
    "ZIP or postal code [postalCode]",
    "Office phone [telephoneNumber]",
    "Mobile phone [mobile]",
]

# Microsoft 365 admin center: Users → Active users → "Export users" (columns in alphabetical
# order, as the export writes them; seen in public scripts that tidy this export).
M365_ACTIVE_USERS = [
    "Block credential",
    "City",
    "Country/Region",
    "Department",
    "DirSyncEnabled",
    "Display name",
    "Fax",
    "First name",
    "Last dirsync time",
    "Last name",
    "Last password change time stamp",
    "License assignment details",
    "Licenses",
    "Mobile Phone",
    "Oath token meta data",
    "Object Id",
    "Office",
    "Password never expires",
    "Phone number",
    "Postal code",
    "Preferred data location",
    "Preferred language",
    "Proxy addresses",
    "Release track",
    "Soft deletion time stamp",
    "State",
    "Street address",
    "Strong password required",
    "Title",
    "Usage location",
    "User principal name",
    "When created",
]

# Usher's own export (src/usher/users/export.py); the last three columns are read-only.
USHER_EXPORT = [
    "First name",
    "Last name",
    "Email",
    "Personal email",
    "Phone",
    "Gender",
    "Birthday",
    "Org unit",
    "Position",
    "Teams",
    "Status",
    "Registered",
    "Last activity",
]

# A spreadsheet typed by hand: odd case, punctuation, plurals and a blank header cell (which the
# reader names "Column M").
HAND_TYPED = [
    "FIRSTNAME",
    "last_name",
    "E-mail Address",
    "Mobile #",
    "Dept.",
    "Job title ",
    "Date of Birth",
    "Sex",
    "Team(s)",
    "Personal e-mail",
    "Manager",
    "Comments",
    "Column M",
]

# The same by a German office: Excel there saves CSV with semicolons in Windows-1252.
HAND_TYPED_GERMAN = [
    "Vorname",
    "Nachname",
    "E-Mail-Adresse",
    "E-Mail (privat)",
    "Handy",
    "Telefon",
    "Geschlecht",
    "Geburtsdatum",
    "Abteilung",
    "Position",
    "Gruppen",
]
