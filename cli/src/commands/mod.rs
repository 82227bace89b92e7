pub mod api_key;
pub mod dev_server;
pub mod doctor;
pub mod login;
pub mod scan;
pub mod service_account;
pub mod whoami;
