//go:build cgo

package noorle

import (
	"context"
	"iter"
)

// ServiceAccountsService carries the /v1/service-accounts calls. Get it as client.ServiceAccounts.
type ServiceAccountsService struct{ c *Client }

func (s *ServiceAccountsService) one(ctx context.Context, op any, opts []CallOption) (*ServiceAccount, error) {
	var out struct {
		ServiceAccount ServiceAccount `json:"service_account"`
	}
	if err := s.c.do(ctx, op, &out, opts); err != nil {
		return nil, err
	}
	return &out.ServiceAccount, nil
}

// Create makes a service account and its first key (whole in the answer, this once).
func (s *ServiceAccountsService) Create(ctx context.Context, p CreateServiceAccountParams, opts ...CallOption) (*CreatedServiceAccount, error) {
	op := struct {
		Op string `json:"op"`
		CreateServiceAccountParams
	}{"service_accounts.create", p}
	var out CreatedServiceAccount
	if err := s.c.do(ctx, op, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns one page of service accounts.
func (s *ServiceAccountsService) List(ctx context.Context, p PageParams, opts ...CallOption) (*Page[ServiceAccount], error) {
	op := struct {
		Op string `json:"op"`
		PageParams
	}{"service_accounts.list", p}
	var page Page[ServiceAccount]
	if err := s.c.do(ctx, op, &page, opts); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListAll walks every page of service accounts.
func (s *ServiceAccountsService) ListAll(ctx context.Context, p PageParams, opts ...CallOption) iter.Seq2[ServiceAccount, error] {
	return walk(func(offset int) (*Page[ServiceAccount], error) {
		q := p
		q.Offset = offset
		return s.List(ctx, q, opts...)
	}, p.Offset)
}

// Get returns one service account.
func (s *ServiceAccountsService) Get(ctx context.Context, id string, opts ...CallOption) (*ServiceAccount, error) {
	return s.one(ctx, idOp{"service_accounts.get", id}, opts)
}

// Update changes a service account's name, description, role or enabled flag.
func (s *ServiceAccountsService) Update(ctx context.Context, id string, p UpdateServiceAccountParams, opts ...CallOption) (*ServiceAccount, error) {
	op := struct {
		Op string `json:"op"`
		ID string `json:"id"`
		UpdateServiceAccountParams
	}{"service_accounts.update", id, p}
	return s.one(ctx, op, opts)
}

// Delete removes a service account; its keys are revoked.
func (s *ServiceAccountsService) Delete(ctx context.Context, id string, opts ...CallOption) error {
	return s.c.do(ctx, idOp{"service_accounts.delete", id}, nil, opts)
}

// CreateKey makes another key for the service account.
func (s *ServiceAccountsService) CreateKey(ctx context.Context, id string, p CreateAPIKeyParams, opts ...CallOption) (*CreatedAPIKey, error) {
	op := struct {
		Op string `json:"op"`
		ID string `json:"id"`
		createKeyFields
	}{"service_accounts.create_key", id, p.fields()}
	var out CreatedAPIKey
	if err := s.c.do(ctx, op, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListKeys returns one page of the service account's keys.
func (s *ServiceAccountsService) ListKeys(ctx context.Context, id string, p PageParams, opts ...CallOption) (*Page[APIKeyRecord], error) {
	op := struct {
		Op string `json:"op"`
		ID string `json:"id"`
		PageParams
	}{"service_accounts.list_keys", id, p}
	var page Page[APIKeyRecord]
	if err := s.c.do(ctx, op, &page, opts); err != nil {
		return nil, err
	}
	return &page, nil
}

// ListKeysAll walks every page of the service account's keys.
func (s *ServiceAccountsService) ListKeysAll(ctx context.Context, id string, p PageParams, opts ...CallOption) iter.Seq2[APIKeyRecord, error] {
	return walk(func(offset int) (*Page[APIKeyRecord], error) {
		q := p
		q.Offset = offset
		return s.ListKeys(ctx, id, q, opts...)
	}, p.Offset)
}
